using System.Diagnostics;
using System.Text.Json;
using RftFunctions.Demo.Genes;

namespace RftFunctions.Demo;

/// <summary>What a demo run measured.</summary>
public sealed record DemoResult
{
    /// <summary>The job id.</summary>
    public required string JobId { get; init; }

    /// <summary>The registered base model's id.</summary>
    public required string BaseModel { get; init; }

    /// <summary>The job's fine-tuned model id.</summary>
    public required string FineTunedModel { get; init; }

    /// <summary>Steps the job ran.</summary>
    public required int Steps { get; init; }

    /// <summary>Held-out scores of the base model.</summary>
    public required DemoScores Before { get; init; }

    /// <summary>Held-out scores of the fine-tuned model.</summary>
    public required DemoScores After { get; init; }

    /// <summary>The job's curves from its metrics events (rewards, per-grader rewards, completion lengths).</summary>
    public required JobCurves Curves { get; init; }

    /// <summary>The held-out cases (for the report's examples).</summary>
    public required IReadOnlyList<GeneCase> ValidCases { get; init; }

    /// <summary>Seconds per phase (base_model, platform_start, upload, job, evaluation, total).</summary>
    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    /// <summary>True when the base model was built in this run (not loaded from the cache).</summary>
    public required bool BaseModelBuilt { get; init; }

    /// <summary>The cached base model folder.</summary>
    public required string BaseModelDirectory { get; init; }

    /// <summary>The dashboard page the run printed (its key works only while the demo's host runs, unless configured).</summary>
    public required string DashboardUrl { get; init; }
}

/// <summary>
/// The gene-ranking demo through the platform, as a user would run it: writes the two JSONL files and the grader,
/// gets the base model (built once and cached), starts the host with all roles (<see cref="DemoPlatform"/>),
/// registers the model from the <c>models</c> container, drops the files into <c>datasets</c>, creates the job with
/// <c>POST /v1/fine_tuning/jobs</c>, follows its metrics events, and measures held-out Top-k of the base and the
/// fine-tuned model through <c>/v1/chat/completions</c>.
/// </summary>
public static class DemoRunner
{
    /// <summary>Runs the demo, writing its inputs and the host log into <paramref name="directory"/>.</summary>
    public static async Task<DemoResult> RunAsync(DemoOptions options, string directory, DemoProgress progress, CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>();
        var recipe = options.Recipe;
        var ontology = GeneOntology.Create(options.Seed, recipe.Ontology);
        var generator = new GeneCaseGenerator(ontology, recipe.Cases);
        var train = generator.Generate([.. ontology.Genes.Where(g => !ontology.IsValidation(g))], recipe.TrainCases, options.Seed + 1);
        var valid = generator.Generate([.. ontology.Genes.Where(ontology.IsValidation)], recipe.ValidCases, options.Seed + 2);
        Directory.CreateDirectory(directory);
        DemoDataset.WriteJsonl(Path.Combine(directory, "train.jsonl"), train);
        DemoDataset.WriteJsonl(Path.Combine(directory, "valid.jsonl"), valid);
        File.WriteAllText(Path.Combine(directory, "grader.json"), DemoDataset.GraderJson);
        progress.Line($"data: {train.Count} training cases ({ontology.Genes.Count(g => !ontology.IsValidation(g))} genes), " +
                      $"{valid.Count} validation cases ({ontology.Genes.Count(ontology.IsValidation)} other genes)");

        var clock = Stopwatch.StartNew();
        var (baseDirectory, built) = DemoBaseModelCache.GetOrBuild(options, generator, (s, t, l) => progress.Bar("base model", s, t, $"loss {l:F3}"),
            d => progress.Line($"building the base model (pretraining on the ontology's facts, then a warm-up on the answer format) into {d}"));
        timings["base_model"] = clock.Elapsed.TotalSeconds;
        progress.Line(built ? $"base model built in {clock.Elapsed.TotalSeconds:F0} s: {baseDirectory}" : $"base model from cache: {baseDirectory}");

        clock.Restart();
        await using var platform = await DemoPlatform.StartAsync(options.HostSettings, Path.Combine(directory, "host.log"), ct);
        timings["platform_start"] = clock.Elapsed.TotalSeconds;
        progress.Line($"host with all roles at {platform.BaseAddress} (storage {platform.Storage.Description}; log {platform.LogPath})");
        progress.Line($"dashboard: {platform.DashboardUrl}");

        clock.Restart();
        var baseModel = await DemoUserSteps.RegisterBaseModelAsync(platform, baseDirectory, DemoBaseModelCache.Key(options), ct);
        var stamp = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var trainingFile = await DemoUserSteps.DropDatasetAsync(platform, Path.Combine(directory, "train.jsonl"), $"gene-demo-{stamp}-train.jsonl", ct);
        var validationFile = await DemoUserSteps.DropDatasetAsync(platform, Path.Combine(directory, "valid.jsonl"), $"gene-demo-{stamp}-valid.jsonl", ct);
        timings["upload"] = clock.Elapsed.TotalSeconds;
        progress.Line($"model {baseModel} registered from the {platform.Api.ModelsContainer} container; datasets dropped into {platform.Api.DatasetsContainer}: {trainingFile}, {validationFile}");

        clock.Restart();
        var request = DemoUserSteps.CreateRequest(baseModel, trainingFile, validationFile, train.Count, recipe.Training, options.Seed);
        File.WriteAllText(Path.Combine(directory, "job_request.json"), request.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var job = await DemoUserSteps.CreateJobAsync(platform, request, ct);
        var jobId = job.GetProperty("id").GetString()!;
        progress.Line($"job {jobId} created with POST /v1/fine_tuning/jobs (request in job_request.json); {options.Steps} steps");
        var outcome = await DemoJobWatch.WatchAsync(platform, jobId, progress, ct);
        timings["job"] = clock.Elapsed.TotalSeconds;
        if (outcome.TotalSteps != options.Steps)
            throw new InvalidOperationException($"job {jobId} ran {outcome.TotalSteps} steps, but the recipe has {options.Steps}");
        progress.Line($"job succeeded in {clock.Elapsed.TotalSeconds:F0} s: {outcome.FineTunedModel}");

        clock.Restart();
        var before = await DemoEvaluation.ScoreAsync(platform, baseModel, valid, ct);
        progress.Line($"before: held-out top-1 {before.Top1:P0}, top-5 {before.Top5:P0}, top-max {before.TopMax:P0}, reasons first {before.Reasoned:P0} ({baseModel})");
        var after = await DemoEvaluation.ScoreAsync(platform, outcome.FineTunedModel, valid, ct);
        progress.Line($"after:  held-out top-1 {after.Top1:P0}, top-5 {after.Top5:P0}, top-max {after.TopMax:P0}, reasons first {after.Reasoned:P0} ({outcome.FineTunedModel})");
        timings["evaluation"] = clock.Elapsed.TotalSeconds;
        timings["total"] = total.Elapsed.TotalSeconds;
        return new DemoResult
        {
            JobId = jobId,
            BaseModel = baseModel,
            FineTunedModel = outcome.FineTunedModel,
            Steps = outcome.TotalSteps,
            Before = before,
            After = after,
            Curves = outcome.Curves,
            ValidCases = valid,
            Timings = timings,
            BaseModelBuilt = built,
            BaseModelDirectory = baseDirectory,
            DashboardUrl = platform.DashboardUrl,
        };
    }
}
