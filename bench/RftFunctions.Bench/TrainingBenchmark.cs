using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Demo;
using RftFunctions.Demo.Genes;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Storage;

namespace RftFunctions.Bench;

/// <summary>
/// The gene-ranking demo's RFT job (its <see cref="DemoRecipe"/>: data, grader, base model, trainer config and steps)
/// through the real TrainingJob
/// orchestration on a private Azurite, with one worker (this process) as host.json configures it:
/// where the wall time goes (sampling, grading, training, eval inside their activities) and the fraction of it during
/// which no activity runs at all (dispatch, queues, history, bookkeeping between activities).
/// </summary>
public sealed class TrainingBenchmark : IBenchmark
{
    /// <inheritdoc/>
    public string Name => "training";

    /// <inheritdoc/>
    public string Description => "the demo's RFT job (DemoRecipe.Default) on Azurite through the real orchestration: steps/min, time split, orchestration overhead [--timeline] [--extended-sessions] [--no-synthetic]";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        bool timeline = args.Contains("--timeline");
        // The demo's recipe, so the bench tracks what `rft-demo` runs.
        var demo = new DemoOptions();
        var recipe = demo.Recipe;
        var load = LoadAverage();

        // The demo's inputs exactly as `rft-demo` makes them; the base model comes from the demo's cache (built once).
        var ontology = GeneOntology.Create(demo.Seed, recipe.Ontology);
        var generator = new GeneCaseGenerator(ontology, recipe.Cases);
        var train = generator.Generate([.. ontology.Genes.Where(g => !ontology.IsValidation(g))], recipe.TrainCases, demo.Seed + 1);
        var valid = generator.Generate([.. ontology.Genes.Where(ontology.IsValidation)], recipe.ValidCases, demo.Seed + 2);
        var build = Stopwatch.StartNew();
        var (modelDirectory, built) = DemoBaseModelCache.GetOrBuild(demo, generator);
        Console.WriteLine(built ? $"training: built the demo base model in {build.Elapsed.TotalSeconds:F0} s ({modelDirectory})" : $"training: demo base model from cache ({modelDirectory})");

        var toolDirectory = AzuriteEmulator.FindToolDirectory(AppContext.BaseDirectory, Directory.GetCurrentDirectory());
        await using var azurite = await AzuriteEmulator.StartAsync(new AzuriteOptions(toolDirectory));
        var account = StorageAccount.FromConnectionString(azurite.ConnectionString);
        // The durable settings the host runs with (host.json's extensions.durableTask, read as the host reads it: pools,
        // polling, extended sessions), in a private hub; --extended-sessions turns those on to measure that lever.
        var configuration = new ConfigurationBuilder();
        FunctionsConfiguration.Apply(configuration, ContentRoot.Find(), []);
        var hosted = DurableHosting.ReadOptions(configuration.Build());
        var durable = (hosted with
        {
            HubName = "benchtrain" + Guid.NewGuid().ToString("N")[..8],
            ExtendedSessionsEnabled = hosted.ExtendedSessionsEnabled || args.Contains("--extended-sessions"),
        }).Validate();
        var services = new ServiceCollection();
        services.AddSingleton(account);
        services.AddRftTraining();
        services.AddLogging();
        services.AddTaskHub(account, durable, runWorker: true);
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetRequiredService<TaskHubWorkerService>();
        await worker.StartAsync(CancellationToken.None);
        var jobs = provider.GetRequiredService<TrainingJobService>();
        var store = provider.GetRequiredService<JobStore>();
        var client = provider.GetRequiredService<DurableTaskClient>();

        var jobId = "ftjob-bench-" + Guid.NewGuid().ToString("N")[..8];
        await store.Container.CreateIfNotExistsAsync();
        await store.Container.GetBlobClient($"{jobId}/input/train.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", train.Select(DemoDataset.ToJsonLine))));
        await store.Container.GetBlobClient($"{jobId}/input/valid.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", valid.Select(DemoDataset.ToJsonLine))));
        Console.WriteLine($"training: the demo's job, {recipe.Steps} steps, {train.Count} training / {valid.Count} validation cases, load average {load} at start");

        using var spans = new SpanRecorder();
        // The job's wall time runs from its submission (the create call returned: row, spec and start message are
        // stored) to the commit of its final episode.
        await jobs.CreateAsync(Spec(jobId, modelDirectory, demo));
        var started = DateTime.UtcNow;
        var wall = Stopwatch.StartNew();
        var done = await client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, CancellationToken.None);
        wall.Stop();
        // The job ends when its final episode commits (the instance's last update), not when the client's poll sees it.
        var ended = done.LastUpdatedAt.UtcDateTime < started + wall.Elapsed ? done.LastUpdatedAt.UtcDateTime : started + wall.Elapsed;
        var job = await store.GetAsync(jobId) ?? throw new InvalidOperationException("the job row is gone");
        if (job.Status != JobStatus.Succeeded) throw new InvalidOperationException($"the job ended {job.Status}: {job.Error?.Message} ({done.RuntimeStatus})");

        var (events, _) = await store.ListEventsAsync(jobId, null, 1000);
        var metrics = events.Where(e => e.Type == "metrics").Select(e => e.Data!.Value).OrderBy(d => d.GetProperty("step").GetInt32()).ToList();
        double Sum(string phase) => metrics.Sum(d => d.GetProperty("timing").GetProperty("inside_activities").GetProperty(phase).GetDouble());
        double seconds = (ended - started).TotalSeconds;
        foreach (var d in metrics)
        {
            var t = d.GetProperty("timing").GetProperty("step");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {d.GetProperty("step")}: reward {d.GetProperty("scores").GetProperty("train_reward_mean").GetDouble():0.000}, full {t.GetProperty("full_iteration").GetDouble():0.00} s, orchestration {t.GetProperty("orchestration").GetDouble():0.00} s"));
        }
        var activities = spans.Activities(started, ended);
        var compute = activities.Where(a => a.Name is RftOrchestrations.RolloutAndGrade or RftOrchestrations.PolicyUpdate).ToList();
        double insideAny = SpanRecorder.UnionSeconds(activities), insideCompute = SpanRecorder.UnionSeconds(compute);
        SpanRecorder.PrintBreakdown(activities, seconds);
        if (timeline) SpanRecorder.PrintTimeline(started, activities);
        await worker.StopAsync(CancellationToken.None);

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["job"] = "gene-ranking demo",
            ["extended_sessions"] = durable.ExtendedSessionsEnabled,
            ["engine"] = "DurableTask.Core + DurableTask.AzureStorage",
            ["max_queue_polling_interval_s"] = durable.StorageProvider.MaxQueuePollingInterval.TotalSeconds,
            ["steps"] = metrics.Count,
            ["wall_s"] = Math.Round(seconds, 2),
            ["steps_per_min"] = Math.Round(metrics.Count / seconds * 60, 2),
            // Seconds inside the activities' own compute (as the metrics events report them), summed over steps.
            ["sampling_s"] = Math.Round(Sum("sampling"), 2),
            ["grading_s"] = Math.Round(Sum("grading"), 2),
            ["training_s"] = Math.Round(Sum("training"), 2),
            ["eval_s"] = Math.Round(Sum("eval"), 2),
            // The union of every activity invocation's interval (the runtime's spans, including the activities' own
            // blob reads and writes), clipped to the job's wall time.
            ["inside_activities_s"] = Math.Round(insideAny, 2),
            // Wall time during which no activity of the job runs (validating files included), ÷ wall time.
            ["orchestration_overhead_fraction"] = Math.Round((seconds - insideAny) / seconds, 4),
            // The same with only RolloutAndGrade and PolicyUpdate counted as work (bookkeeping activities count as overhead).
            ["outside_compute_activities_fraction"] = Math.Round((seconds - insideCompute) / seconds, 4),
            ["activities"] = activities.Count,
            ["final_train_reward_mean"] = Math.Round(metrics[^1].GetProperty("scores").GetProperty("train_reward_mean").GetDouble(), 3),
            ["load_average_start"] = load,
            ["load_average_end"] = LoadAverage(),
            ["cores"] = Environment.ProcessorCount,
        }));
        if (args.Contains("--no-synthetic")) return 0;
        // The same figure for activities that only wait 0.1, 1 and 10 s, in the job's shape (SyntheticJob).
        var shapes = new Dictionary<string, object>();
        foreach (var work in new[] { 0.1, 1.0, 10.0 })
        {
            var (overhead, shapeWall) = await SyntheticJob.RunAsync(account, durable, work, steps: 3, spans);
            shapes[string.Create(CultureInfo.InvariantCulture, $"orchestration_overhead_fraction_{work:0.#}s")] = Math.Round(overhead, 4);
            shapes[string.Create(CultureInfo.InvariantCulture, $"wall_s_{work:0.#}s")] = Math.Round(shapeWall, 2);
        }
        Console.WriteLine(JsonSerializer.Serialize(shapes));
        return 0;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>The demo's job as a spec: its grader and its recipe's training config (validation: every case).</summary>
    private static TrainingJobSpec Spec(string jobId, string modelDirectory, DemoOptions demo) => new()
    {
        JobId = jobId,
        BaseModel = "demo-gene-base",
        BaseModelDirectory = modelDirectory,
        TrainingBlob = $"{jobId}/input/train.jsonl",
        ValidationBlob = $"{jobId}/input/valid.jsonl",
        Grader = JsonDocument.Parse(DemoDataset.GraderJson).RootElement.Clone(),
        Config = demo.Recipe.TrainingFor(demo.Seed),
        Suffix = "bench",
    };
}
