using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using RftFunctions.Training.Monitors;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// The grading activity's share of the health monitors: the shard's samples and grades summarised where they are
/// (<see cref="SampleSummary"/>), so only numbers and three excerpts travel to the orchestration.
/// </summary>
internal static class MonitorSamples
{
    /// <summary>Model graders' message texts kept for echo detection (an upper bound, whatever the grader holds).</summary>
    private const int MaxTemplates = 32;

    /// <summary>The summary of a graded training shard.</summary>
    public static SampleSummary Summarise(GradeInput input, StoredRollout rollout, IReadOnlyList<StoredGrade> grades, TrainingJobSpec spec)
    {
        var reference = ReferenceParts(spec.Grader);
        var weighted = WeightedParts(spec.Grader);
        var samples = rollout.Samples.Select((s, k) => new MonitoredSample(
            string.Create(CultureInfo.InvariantCulture, $"step-{input.Step + 1}/example-{s.Example}/sample-{s.Sample}"),
            s.Text, s.CompletionIds, grades[k].Reward,
            weighted is null ? grades[k].SubRewards : grades[k].SubRewards.Where(p => weighted.Contains(p.Key)).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal),
            Agreement(reference, grades[k]))).ToList();
        return SampleSummary.Of(samples, spec.Config.SamplesPerPrompt, new GraderDirectedText(Templates(spec.Grader)));
    }

    private static readonly HashSet<string> ReferenceTypes = new(StringComparer.Ordinal) { "string_check", "text_similarity", "ranked_list" };

    /// <summary>Which parts of the grader compare the sample with the item's reference (a string_check, text_similarity
    /// or ranked_list whose <c>reference</c> is a template of the item, not a literal such as a format check): null for
    /// the top grader itself, the names of such sub-graders of a multi, or an empty list when none does.</summary>
    internal static IReadOnlyList<string>? ReferenceParts(JsonElement grader)
    {
        static bool ComparesWithItem(JsonElement g) =>
            g.ValueKind == JsonValueKind.Object && g.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && ReferenceTypes.Contains(t.GetString()!)
            && g.TryGetProperty("reference", out var r) && r.ValueKind == JsonValueKind.String && r.GetString()!.Contains("{{", StringComparison.Ordinal);
        if (ComparesWithItem(grader)) return null;
        if (!grader.TryGetProperty("graders", out var subs) || subs.ValueKind != JsonValueKind.Object) return [];
        return [.. subs.EnumerateObject().Where(p => ComparesWithItem(p.Value)).Select(p => p.Name)];
    }

    /// <summary>
    /// The sub-graders a multi grader's <c>calculate_output</c> uses (null when it is not a multi with a formula). A
    /// sub-grader the formula leaves out is a diagnostic by design (the demo's format checks beside its ranked list):
    /// that it explains none of the reward is no sign of anything, so its reward-variance share is not measured.
    /// </summary>
    internal static HashSet<string>? WeightedParts(JsonElement grader)
    {
        if (!grader.TryGetProperty("calculate_output", out var formula) || formula.ValueKind != JsonValueKind.String
            || !grader.TryGetProperty("graders", out var subs) || subs.ValueKind != JsonValueKind.Object) return null;
        var text = formula.GetString()!;
        return [.. subs.EnumerateObject().Select(p => p.Name).Where(n => Regex.IsMatch(text, $@"(?<![A-Za-z0-9_]){Regex.Escape(n)}(?![A-Za-z0-9_])", RegexOptions.None, TimeSpan.FromSeconds(1)))];
    }

    private static double? Agreement(IReadOnlyList<string>? parts, StoredGrade grade)
    {
        if (parts is null) return grade.Reward;
        var present = parts.Where(grade.SubRewards.ContainsKey).ToList();
        return present.Count == 0 ? null : present.Average(p => grade.SubRewards[p]);
    }

    /// <summary>The literal texts of the grader's model-graded prompts (<c>input[].content</c> strings, at any depth of a
    /// multi grader): a sample that echoes them is addressing the judge.</summary>
    internal static IEnumerable<string> Templates(JsonElement grader)
    {
        var found = new List<string>();
        void Walk(JsonElement e, int depth)
        {
            // The grader validator bounds nesting already; this bound keeps the walk safe on its own.
            if (depth > 16 || found.Count >= MaxTemplates) return;
            if (e.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name == "content" && p.Value.ValueKind == JsonValueKind.String) found.Add(p.Value.GetString()!);
                    else Walk(p.Value, depth + 1);
                }
            }
            else if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray()) Walk(item, depth + 1);
            }
        }
        Walk(grader, 0);
        return found;
    }
}
