using System.Text.Json;
using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Grading;
using RftFunctions.Graders.Batch;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Python;
using RftFunctions.Graders.Templates;
using RftFunctions.Training.Grpo;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// The grading half of <see cref="RolloutAndGradeActivity"/> (not registered on its own). Grades a rollout shard with
/// the job's grader and writes per-sample rewards, sub-grader rewards and error flags to
/// <c>steps/{step}/{split}/grade-{shard}.json</c>; returns the shard's sums (small) for the orchestrator.
/// </summary>
public sealed class GradeActivity(JobWorkspace workspace, ProjectGraderServices graders, WorkerShutdown shutdown) : TaskActivity<GradeInput, GradeResult>
{
    /// <summary>OpenAI's metrics-event error categories.</summary>
    public static readonly IReadOnlyList<string> ErrorCategories = ["sample_parse_error", "invalid_variable_error", "other_error"];

    /// <inheritdoc />
    public override async Task<GradeResult> RunAsync(TaskActivityContext context, GradeInput input)
    {
        var ct = shutdown.Token;
        await using var cancel = await JobCancellation.WatchAsync(workspace.Store, input.JobId, ct);
        var container = workspace.Store.Container;
        var name = JobBlobs.Grade(input.JobId, input.Step, input.Split, input.Shard);
        var hash = JobBlobs.HashOf(input);
        var existing = await JobBlobs.TryReadAsync<StoredGrades>(container, name, hash, ct);
        if (existing is not null) return existing.Result;

        var started = DateTime.UtcNow;
        var job = await workspace.GetJobAsync(input.JobId, ct);
        var rollout = await JobBlobs.ReadAsync<StoredRollout>(container, input.RolloutBlob, ct);
        var examples = input.Split == Split.Train ? job.Train : job.Valid;
        var contexts = rollout.Samples.Select(s => GradingContext.Create(
            GradingSample.Create(s.Text, job.Spec.OutputJsonRequired, truncated: s.Truncated),
            JsonSerializer.SerializeToElement(examples[s.Example].Item),
            $"{input.JobId}-{input.Step}-{input.Split}-{s.Example}-{s.Sample}")).ToList();
        // The job's project: its judges and endpoints, and its python graders in that project's sandboxed workers only;
        // samples graded concurrently up to the configured limit (each judge endpoint and the endpoint client hold their
        // own limits too).
        var services = graders.For(job.Spec.Project ?? PythonGraderPool.DefaultProject, workspace.GraderServices);
        var batch = new BatchGradingOptions { MaxConcurrency = Math.Clamp(graders.Options.MaxConcurrency, 1, 256) };
        var results = await cancel.RunAsync(token => new BatchGrader(job.Grader, services, batch).GradeAsync(contexts, token));

        var grades = results.Select(r => new StoredGrade(r.Reward, r.SubRewards, Categories(r))).ToList();
        var subSums = new Dictionary<string, double>(StringComparer.Ordinal);
        var subTypes = new Dictionary<string, string>(StringComparer.Ordinal);
        // A failed sample carries no sub-rewards; the config names every sub-grader so each is reported (0 when failed).
        if (job.Spec.Grader.TryGetProperty("graders", out var subGraders) && subGraders.ValueKind == JsonValueKind.Object)
        {
            foreach (var sub in subGraders.EnumerateObject())
            {
                subSums[sub.Name] = 0;
                if (sub.Value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String) subTypes[sub.Name] = type.GetString()!;
            }
        }
        foreach (var r in results)
        {
            foreach (var (key, value) in r.SubRewards) subSums[key] = subSums.GetValueOrDefault(key) + value;
            foreach (var (key, sub) in r.SubResults) subTypes[key] = sub.Metadata.Type;
        }
        var errors = ErrorCategories.ToDictionary(c => c, c => grades.Count(g => g.Errors.Contains(c)), StringComparer.Ordinal);
        // Groups are G consecutive samples of one prompt; dynamic sampling counts those without signal on the rewards
        // the trainer will see (the soft overlong penalty included).
        var shaped = grades.Select((g, k) => job.Spec.Config.ShapedReward(g.Reward, rollout.Samples[k].CompletionIds.Count)).ToArray();
        int uniform = grades.Count == 0 || input.Split != Split.Train ? 0 : grades.Count / job.Spec.Config.SamplesPerPrompt - DynamicSampling.GroupsWithSignal(shaped, job.Spec.Config.SamplesPerPrompt);
        var (usage, timings) = UsageAndTimings(results);
        var summary = input.Split == Split.Train ? MonitorSamples.Summarise(input, rollout, grades, job.Spec) : null;
        var result = new GradeResult(name, grades.Count, grades.Sum(g => g.Reward), subSums, subTypes, errors, (DateTime.UtcNow - started).TotalSeconds,
            uniform, usage, timings, summary);
        await JobBlobs.WriteAsync(container, name, new StoredGrades(grades, result), hash, ct);
        return result;
    }

    /// <summary>Judge usage by model, and each grader's latency (the top grader and every sub-grader by name).</summary>
    internal static (Dictionary<string, TokenUsage> Usage, Dictionary<string, GraderTiming> Timings) UsageAndTimings(IEnumerable<GraderResult> results)
    {
        var usage = new Dictionary<string, TokenUsage>(StringComparer.Ordinal);
        var timings = new Dictionary<string, GraderTiming>(StringComparer.Ordinal);
        void Time(string name, GraderResult r)
        {
            var t = new GraderTiming(1, r.Metadata.ExecutionTime, r.Metadata.ExecutionTime, Math.Max(0, (r.Metadata.Attempts ?? 1) - 1));
            timings[name] = timings.TryGetValue(name, out var had) ? GraderTiming.Add(had, t) : t;
        }
        foreach (var r in results)
        {
            foreach (var (model, u) in r.ModelGraderTokenUsagePerModel) usage[model] = usage.TryGetValue(model, out var had) ? had + u : u;
            Time(r.Metadata.Name, r);
            foreach (var (name, sub) in r.SubResults) Time(name, sub);
        }
        return (usage, timings);
    }

    private static List<string> Categories(GraderResult result)
    {
        var json = JsonSerializer.SerializeToElement(result.Errors);
        var flagged = json.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.True).Select(p => p.Name).ToList();
        if (flagged.Count == 0) return [];
        var categories = new List<string>();
        if (flagged.Contains("sample_parse_error")) categories.Add("sample_parse_error");
        if (flagged.Contains("invalid_variable_error")) categories.Add("invalid_variable_error");
        if (flagged.Any(f => f is not ("sample_parse_error" or "invalid_variable_error"))) categories.Add("other_error");
        return categories;
    }
}
