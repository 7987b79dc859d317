using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Model;

namespace RftFunctions.Demo.Compliance;

/// <summary>What a compliance demo run measured.</summary>
public sealed record ComplianceResult
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
    public required ComplianceScores Before { get; init; }

    /// <summary>Held-out scores of the fine-tuned model.</summary>
    public required ComplianceScores After { get; init; }

    /// <summary>The job's curves from its metrics events.</summary>
    public required JobCurves Curves { get; init; }

    /// <summary>The held-out requests (for the report's examples).</summary>
    public required IReadOnlyList<ComplianceItem> HeldOut { get; init; }

    /// <summary>Training requests.</summary>
    public required int TrainItems { get; init; }

    /// <summary>Seconds per phase (base_model, platform_start, upload, job, evaluation, total).</summary>
    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    /// <summary>True when the base model was built in this run (not loaded from the cache).</summary>
    public required bool BaseModelBuilt { get; init; }

    /// <summary>The dashboard page the run printed.</summary>
    public required string DashboardUrl { get; init; }
}

/// <summary>
/// The compliance demo through the platform, as a user would run it (the same steps as the gene-ranking demo's
/// <see cref="DemoRunner"/>): the policy's requests as JSONL, the base model (built once and cached), the host with all
/// roles, the model registered from the <c>models</c> container, the files dropped into <c>datasets</c>, the job
/// created with <c>POST /v1/fine_tuning/jobs</c> (a multi grader and a json_schema <c>response_format</c>), and
/// held-out verdict accuracy and explanation score measured through <c>/v1/chat/completions</c> before and after.
/// </summary>
public static class ComplianceRunner
{
    // Bump when the builder changes what it trains, so stale caches are not reused.
    private const string BuilderVersion = "compliance-base-v1";

    /// <summary>The base model's cache key: a hash of everything that determines it.</summary>
    public static string CacheKey(ComplianceOptions options)
    {
        var identity = JsonSerializer.Serialize(new { BuilderVersion, options.Seed, options.Recipe.Policies, options.Recipe.BaseModel });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    /// <summary>Runs the demo, writing its inputs and the host log into <paramref name="directory"/>.</summary>
    public static async Task<ComplianceResult> RunAsync(ComplianceOptions options, string directory, DemoProgress progress, CancellationToken ct = default)
    {
        var total = Stopwatch.StartNew();
        var timings = new Dictionary<string, double>();
        var recipe = options.Recipe;
        var book = PolicyBook.Create(options.Seed, recipe.Policies);
        var train = ComplianceItems.Generate(book.TrainingClauses, recipe.TrainItems, options.Seed + 1);
        var heldOut = ComplianceItems.Generate(book.HeldOutClauses, recipe.HeldOutItems, options.Seed + 2);
        Directory.CreateDirectory(directory);
        ComplianceItems.WriteJsonl(Path.Combine(directory, "train.jsonl"), train);
        ComplianceItems.WriteJsonl(Path.Combine(directory, "valid.jsonl"), heldOut);
        File.WriteAllText(Path.Combine(directory, "grader.json"), ComplianceDataset.GraderJson);
        File.WriteAllText(Path.Combine(directory, "response_format.json"), ComplianceDataset.ResponseFormatJson);
        File.WriteAllText(Path.Combine(directory, "policy.txt"), string.Concat(book.Clauses.Select(c => $"{c.Id}: {c.Action} {c.Data} -> {c.Verdict}{(book.IsHeldOut(c) ? "  (held out)" : "")}\n")));
        progress.Line($"policy: {book.Clauses.Count} clauses ({book.Actions.Count} actions x {book.DataKinds.Count} kinds of data; policy.txt); " +
                      $"{train.Count} training requests about {book.TrainingClauses.Count} clauses, {heldOut.Count} held-out requests about the other {book.HeldOutClauses.Count}");

        var clock = Stopwatch.StartNew();
        var (baseDirectory, built) = DemoBaseModelCache.GetOrBuild(options.CacheDirectory, CacheKey(options), temp =>
        {
            using (var model = ComplianceBaseModelBuilder.Build(book, recipe.BaseModel, options.Seed, (s, t, l) => progress.Bar("base model", s, t, $"loss {l:F3}")))
            {
                ModelFolder.Save(model, temp);
            }
            ComplianceBaseModelBuilder.WriteTokenizerFiles(temp, book);
        }, d => progress.Line($"building the base model (pretraining on the policy's clauses, then a warm-up on the answer format) into {d}"));
        timings["base_model"] = clock.Elapsed.TotalSeconds;
        progress.Line(built ? $"base model built in {clock.Elapsed.TotalSeconds:F0} s: {baseDirectory}" : $"base model from cache: {baseDirectory}");

        clock.Restart();
        await using var platform = await DemoPlatform.StartAsync(options.HostSettings, Path.Combine(directory, "host.log"), ct);
        timings["platform_start"] = clock.Elapsed.TotalSeconds;
        progress.Line($"host with all roles at {platform.BaseAddress} (storage {platform.Storage.Description}; log {platform.LogPath})");
        progress.Line($"dashboard: {platform.DashboardUrl}");

        clock.Restart();
        var baseModel = await DemoUserSteps.RegisterBaseModelAsync(platform, baseDirectory, CacheKey(options), "compliance-demo-base", ct);
        var stamp = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var trainingFile = await DemoUserSteps.DropDatasetAsync(platform, Path.Combine(directory, "train.jsonl"), $"compliance-demo-{stamp}-train.jsonl", ct);
        var validationFile = await DemoUserSteps.DropDatasetAsync(platform, Path.Combine(directory, "valid.jsonl"), $"compliance-demo-{stamp}-valid.jsonl", ct);
        timings["upload"] = clock.Elapsed.TotalSeconds;
        progress.Line($"model {baseModel} registered; datasets dropped into {platform.Api.DatasetsContainer}: {trainingFile}, {validationFile}");

        clock.Restart();
        var inputs = new DemoUserSteps.JobInputs(baseModel, trainingFile, validationFile, train.Count, "compliance-demo", "compliance",
            JsonNode.Parse(ComplianceDataset.GraderJson)!, JsonNode.Parse(ComplianceDataset.ResponseFormatJson));
        var request = DemoUserSteps.CreateRequest(inputs, recipe.Training, options.Seed);
        File.WriteAllText(Path.Combine(directory, "job_request.json"), request.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var job = await DemoUserSteps.CreateJobAsync(platform, request, ct);
        var jobId = job.GetProperty("id").GetString()!;
        progress.Line($"job {jobId} created with POST /v1/fine_tuning/jobs (response_format json_schema, multi grader; request in job_request.json); {recipe.Steps} steps");
        var outcome = await DemoJobWatch.WatchAsync(platform, jobId, progress, ct);
        timings["job"] = clock.Elapsed.TotalSeconds;
        if (outcome.TotalSteps != recipe.Steps)
            throw new InvalidOperationException($"job {jobId} ran {outcome.TotalSteps} steps, but the recipe has {recipe.Steps}");
        progress.Line($"job succeeded in {clock.Elapsed.TotalSeconds:F0} s: {outcome.FineTunedModel}");

        clock.Restart();
        var before = await ComplianceEvaluation.ScoreAsync(platform, baseModel, heldOut, ct);
        progress.Line($"before: held-out verdict accuracy {before.VerdictAccuracy:P0}, explanation cites the right clause {before.ExplanationScore:P0}, valid JSON {before.ValidJson:P0} ({baseModel})");
        var after = await ComplianceEvaluation.ScoreAsync(platform, outcome.FineTunedModel, heldOut, ct);
        progress.Line($"after:  held-out verdict accuracy {after.VerdictAccuracy:P0}, explanation cites the right clause {after.ExplanationScore:P0}, valid JSON {after.ValidJson:P0} ({outcome.FineTunedModel})");
        timings["evaluation"] = clock.Elapsed.TotalSeconds;
        timings["total"] = total.Elapsed.TotalSeconds;
        return new ComplianceResult
        {
            JobId = jobId,
            BaseModel = baseModel,
            FineTunedModel = outcome.FineTunedModel,
            Steps = outcome.TotalSteps,
            Before = before,
            After = after,
            Curves = outcome.Curves,
            HeldOut = heldOut,
            TrainItems = train.Count,
            Timings = timings,
            BaseModelBuilt = built,
            DashboardUrl = platform.DashboardUrl,
        };
    }
}
