using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>length_hacking</c>: over the last <see cref="Steps"/> steps, longer samples of a prompt consistently get more
/// reward (within-group correlation of length and reward ≥ <see cref="MinCorrelation"/> at every step), the mean
/// completion length grew by ≥ <see cref="MinLengthGrowth"/> and the mean reward rose, while the grader's agreement with a
/// reference (<see cref="SampleSummary.ReferenceAgreement"/>: its <c>string_check</c>, <c>text_similarity</c> and
/// <c>ranked_list</c> parts that compare with the item's reference, when it has any) did not rise by more than <see cref="MaxAgreementRise"/>. The policy is being paid for length, not
/// correctness.
/// </summary>
public sealed class LengthHackingDetector : IHealthDetector
{
    /// <summary>Steps in the window.</summary>
    public const int Steps = 4;

    /// <summary>Lowest within-group length–reward correlation at each step of the window.</summary>
    public const double MinCorrelation = 0.7;

    /// <summary>Relative growth of the mean completion length (mean of the last two steps over the first two).</summary>
    public const double MinLengthGrowth = 0.10;

    /// <summary>Largest rise of the reference agreement that still counts as "not rising".</summary>
    public const double MaxAgreementRise = 0.02;

    /// <inheritdoc />
    public string Name => "length_hacking";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (Window.Last(history, Steps) is not { } w) return null;
        if (w.Any(s => s.Summary.CorrelatedGroups == 0 || s.Summary.LengthRewardCorrelation() < MinCorrelation)) return null;
        var lengths = w.Select(s => s.CompletionLengthMean).ToList();
        var rewards = w.Select(s => s.TrainRewardMean).ToList();
        double l0 = Window.Start(lengths), l1 = Window.End(lengths), r0 = Window.Start(rewards), r1 = Window.End(rewards);
        if (l0 <= 0 || (l1 / l0) - 1 < MinLengthGrowth || r1 <= r0) return null;
        var agreement = w.Select(Agreement).ToList();
        double? rise = agreement.All(a => a is not null) ? Window.End([.. agreement.Select(a => a!.Value)]) - Window.Start([.. agreement.Select(a => a!.Value)]) : null;
        if (rise > MaxAgreementRise) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Possible length hacking: over steps {w[0].Step}-{w[^1].Step} the reward rose {r0:0.000} -> {r1:0.000} while completions grew {l0:0.0} -> {l1:0.0} tokens, and within each prompt's group longer samples got more reward (correlation >= {MinCorrelation}){(rise is null ? "" : " while the reference-based sub-graders did not improve")}. Read the longest samples: the grader may reward length rather than correctness.");
        var evidence = new List<(string, double)>
        {
            ("length_start", l0), ("length_end", l1), ("reward_start", r0), ("reward_end", r1),
            ("length_reward_correlation", w[^1].Summary.LengthRewardCorrelation()), ("min_correlation", MinCorrelation), ("window_steps", Steps),
        };
        if (rise is { } r) evidence.Add(("reference_agreement_change", r));
        return Window.Fire(Name, history, message, evidence, w[^1].Summary.Longest);
    }

    private static readonly HashSet<string> ReferenceTypes = new(StringComparer.Ordinal) { "string_check", "text_similarity", "ranked_list" };

    /// <summary>The step's reference agreement: from its samples, else the mean of its reference-based sub-graders'
    /// means, or null when the grader has none.</summary>
    internal static double? Agreement(StepSignals s)
    {
        if (s.Summary.ReferenceAgreement() is { } fromSamples) return fromSamples;
        var names = s.SubTypes.Where(p => ReferenceTypes.Contains(p.Value)).Select(p => p.Key).Where(s.SubRewardMeans.ContainsKey).ToList();
        return names.Count == 0 ? null : names.Average(n => s.SubRewardMeans[n]);
    }
}
