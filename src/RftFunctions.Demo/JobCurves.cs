using System.Text.Json;

namespace RftFunctions.Demo;

/// <summary>One point of a curve over the job's steps.</summary>
/// <param name="Step">1-based step.</param>
/// <param name="Value">The step's value (a mean reward, a length in tokens).</param>
public sealed record CurvePoint(int Step, double Value);

/// <summary>
/// The curves a demo report plots, read from the job's metrics events as any API client could: the mean training
/// reward per step, the validation reward where the job validated, each sub-grader's training reward, and the
/// completion length (mean, min and max tokens of the step's sampled answers).
/// </summary>
public sealed record JobCurves
{
    /// <summary>Mean training reward per step.</summary>
    public required IReadOnlyList<CurvePoint> TrainReward { get; init; }

    /// <summary>Mean validation reward at each validating step.</summary>
    public required IReadOnlyList<CurvePoint> ValidReward { get; init; }

    /// <summary>Each sub-grader's mean training reward per step, by grader name.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<CurvePoint>> GraderTrainReward { get; init; }

    /// <summary>Mean completion length in tokens per step.</summary>
    public required IReadOnlyList<CurvePoint> CompletionLengthMean { get; init; }

    /// <summary>Shortest completion per step.</summary>
    public required IReadOnlyList<CurvePoint> CompletionLengthMin { get; init; }

    /// <summary>Longest completion per step.</summary>
    public required IReadOnlyList<CurvePoint> CompletionLengthMax { get; init; }

    /// <summary>The curves of a job's metrics events' <c>data</c> objects (any order; a step seen twice counts once).</summary>
    public static JobCurves FromMetrics(IEnumerable<JsonElement> metrics)
    {
        var byStep = new SortedDictionary<int, JsonElement>();
        foreach (var data in metrics) byStep[data.GetProperty("step").GetInt32()] = data;
        var train = new List<CurvePoint>();
        var valid = new List<CurvePoint>();
        var graders = new SortedDictionary<string, List<CurvePoint>>(StringComparer.Ordinal);
        var mean = new List<CurvePoint>();
        var min = new List<CurvePoint>();
        var max = new List<CurvePoint>();
        foreach (var (step, data) in byStep)
        {
            var scores = data.GetProperty("scores");
            train.Add(new CurvePoint(step, scores.GetProperty("train_reward_mean").GetDouble()));
            if (scores.TryGetProperty("valid_reward_mean", out var v) && v.ValueKind == JsonValueKind.Number) valid.Add(new CurvePoint(step, v.GetDouble()));
            if (scores.TryGetProperty("graders", out var subs) && subs.ValueKind == JsonValueKind.Array)
            {
                foreach (var g in subs.EnumerateArray())
                {
                    var name = g.GetProperty("name").GetString() ?? "";
                    if (!graders.TryGetValue(name, out var points)) graders[name] = points = [];
                    points.Add(new CurvePoint(step, g.GetProperty("train_reward_mean").GetDouble()));
                }
            }
            if (data.TryGetProperty("diagnostics", out var d) && d.ValueKind == JsonValueKind.Object)
            {
                Add(mean, d, "completion_length_mean", step);
                Add(min, d, "completion_length_min", step);
                Add(max, d, "completion_length_max", step);
            }
        }
        return new JobCurves
        {
            TrainReward = train,
            ValidReward = valid,
            GraderTrainReward = graders.ToDictionary(p => p.Key, p => (IReadOnlyList<CurvePoint>)p.Value, StringComparer.Ordinal),
            CompletionLengthMean = mean,
            CompletionLengthMin = min,
            CompletionLengthMax = max,
        };
    }

    private static void Add(List<CurvePoint> points, JsonElement diagnostics, string name, int step)
    {
        if (diagnostics.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number) points.Add(new CurvePoint(step, value.GetDouble()));
    }
}
