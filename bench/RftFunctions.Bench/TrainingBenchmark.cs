using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Model;
using RftFunctions.Storage;
using RftFunctions.Training.Config;

namespace RftFunctions.Bench;

/// <summary>
/// A demo-sized RFT job through the real TrainingJob orchestration on a private Azurite, with one worker (this
/// process) serving every pool as host.json configures them: where the wall time goes (sampling, grading, training,
/// eval inside their activities) and the fraction spent outside activities (dispatch, queues, bookkeeping).
/// </summary>
public sealed class TrainingBenchmark : IBenchmark
{
    private const string Grader = """{"type":"string_check","name":"has_a","input":"{{ sample.output_text }}","reference":"a","operation":"ilike"}""";

    /// <inheritdoc/>
    public string Name => "training";

    /// <inheritdoc/>
    public string Description => "RFT job on Azurite through the real orchestration: steps/min, time split, orchestration overhead";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 12;
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
        var toolDirectory = AzuriteEmulator.FindToolDirectory(AppContext.BaseDirectory, Directory.GetCurrentDirectory());
        await using var azurite = await AzuriteEmulator.StartAsync(new AzuriteOptions(toolDirectory));
        var account = StorageAccount.FromConnectionString(azurite.ConnectionString);
        var modelDirectory = Directory.CreateTempSubdirectory("rft-bench-training-").FullName;
        try
        {
            // Demo-sized: a 4-layer byte-level Qwen3 (hidden 64), 4 prompts x 8 samples x up to 24 tokens per step.
            TinyModelFactory.CreateFolder(modelDirectory, ModelArchitecture.Qwen3, seed: 11,
                new TinyModelSize(HiddenSize: 64, IntermediateSize: 128, Layers: 4, Heads: 4, KeyValueHeads: 2, HeadDim: 16, VocabSize: ByteTokenizer.VocabSize));
            var durable = new DurableTaskOptions
            {
                HubName = "benchtrain" + Guid.NewGuid().ToString("N")[..8],
                // host.json's pools and polling: one trainer/sampler at a time (gpu 1), graders on cpu 2.
                WorkerPools = new Dictionary<string, int> { ["default"] = 4, ["cpu"] = 2, ["gpu"] = 1 },
                StorageProvider = new AzureStorageProviderOptions { MaxQueuePollingInterval = TimeSpan.FromSeconds(1) },
            }.Validate();
            var services = new ServiceCollection();
            services.AddSingleton(account);
            services.AddRftTraining();
            services.AddDurableTaskAzureStorage(account, durable, r => RftOrchestrations.Register(r));
            await using var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<DurableTaskWorker>().StartAsync(CancellationToken.None);
            var jobs = provider.GetRequiredService<TrainingJobService>();
            var store = provider.GetRequiredService<JobStore>();
            var client = provider.GetRequiredService<DurableTaskClient>();

            var jobId = "ftjob-bench-" + Guid.NewGuid().ToString("N")[..8];
            await UploadAsync(store, jobId, steps);
            Console.WriteLine($"training: {steps} steps, load average {load} at start");
            var wall = Stopwatch.StartNew();
            await jobs.CreateAsync(Spec(jobId, modelDirectory, steps));
            var done = await client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, CancellationToken.None);
            wall.Stop();
            var job = await store.GetAsync(jobId) ?? throw new InvalidOperationException("the job row is gone");
            if (job.Status != JobStatus.Succeeded) throw new InvalidOperationException($"the job ended {job.Status}: {job.Error?.Message} ({done.RuntimeStatus})");

            var (events, _) = await store.ListEventsAsync(jobId, null, 1000);
            var metrics = events.Where(e => e.Type == "metrics").Select(e => e.Data!.Value).OrderBy(d => d.GetProperty("step").GetInt32()).ToList();
            double Sum(string phase) => metrics.Sum(d => d.GetProperty("timing").GetProperty("inside_activities").GetProperty(phase).GetDouble());
            double inside = Sum("total");
            double seconds = wall.Elapsed.TotalSeconds;
            foreach (var d in metrics)
            {
                var t = d.GetProperty("timing").GetProperty("step");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"step {d.GetProperty("step")}: reward {d.GetProperty("scores").GetProperty("train_reward_mean").GetDouble():0.00}, full {t.GetProperty("full_iteration").GetDouble():0.00} s, orchestration {t.GetProperty("orchestration").GetDouble():0.00} s"));
            }
            var loadEnd = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["steps"] = metrics.Count,
                ["wall_s"] = Math.Round(seconds, 2),
                ["steps_per_min"] = Math.Round(metrics.Count / seconds * 60, 2),
                ["sampling_s"] = Math.Round(Sum("sampling"), 2),
                ["grading_s"] = Math.Round(Sum("grading"), 2),
                ["training_s"] = Math.Round(Sum("training"), 2),
                ["eval_s"] = Math.Round(Sum("eval"), 2),
                ["inside_activities_s"] = Math.Round(inside, 2),
                // Everything else: validating files, dispatch and queue latency, status/metrics/checkpoint bookkeeping, finalize.
                ["orchestration_overhead_fraction"] = Math.Round((seconds - inside) / seconds, 4),
                ["steps_orchestration_fraction"] = Math.Round(metrics.Sum(d => d.GetProperty("timing").GetProperty("step").GetProperty("orchestration").GetDouble())
                    / metrics.Sum(d => d.GetProperty("timing").GetProperty("step").GetProperty("full_iteration").GetDouble()), 4),
                ["final_train_reward_mean"] = Math.Round(metrics[^1].GetProperty("scores").GetProperty("train_reward_mean").GetDouble(), 3),
                ["load_average_start"] = load,
                ["load_average_end"] = loadEnd,
                ["cores"] = Environment.ProcessorCount,
            }));
            return 0;
        }
        finally
        {
            Directory.Delete(modelDirectory, recursive: true);
        }
    }

    private static async Task UploadAsync(JobStore store, string jobId, int steps)
    {
        static string Line(int i) => JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = $"Say something {i}" } } });
        await store.Container.CreateIfNotExistsAsync();
        await store.Container.GetBlobClient($"{jobId}/input/train.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", Enumerable.Range(0, steps * 4).Select(Line))));
        await store.Container.GetBlobClient($"{jobId}/input/valid.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", Enumerable.Range(1000, 4).Select(Line))));
    }

    private static TrainingJobSpec Spec(string jobId, string modelDirectory, int steps) => new()
    {
        JobId = jobId,
        BaseModel = "bench-qwen3",
        BaseModelDirectory = modelDirectory,
        TrainingBlob = $"{jobId}/input/train.jsonl",
        ValidationBlob = $"{jobId}/input/valid.jsonl",
        Grader = JsonDocument.Parse(Grader).RootElement.Clone(),
        Config = new RftTrainingConfig
        {
            Seed = 1,
            PromptsPerStep = 4,
            SamplesPerPrompt = 8,
            MaxCompletionTokens = 24,
            Mode = FineTuningMode.Full,
            LearningRate = 2e-2,
            WeightDecay = 0,
            EvalInterval = Math.Max(1, steps / 3),
            EvalSamples = 4,
            StepsPerGeneration = 10,
        },
        Suffix = "bench",
        RolloutShardPrompts = 2,
        Stop = [.. "BCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".Select(c => c.ToString())],
    };
}
