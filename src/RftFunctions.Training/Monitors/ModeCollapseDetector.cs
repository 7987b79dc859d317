using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>mode_collapse</c>: for two steps in a row the distinct-bigram ratio of a prompt's samples (distinct token bigrams
/// over all bigrams of its group, averaged over groups) is ≤ <see cref="MaxRatio"/> and ≤ <see cref="MaxFractionOfPeak"/>
/// of its highest value in the history (at least <see cref="MinHistory"/> steps): the samples of a prompt say nearly
/// the same thing, so there is nothing left to compare.
/// </summary>
public sealed class ModeCollapseDetector : IHealthDetector
{
    /// <summary>Absolute ceiling of a collapsed ratio.</summary>
    public const double MaxRatio = 0.35;

    /// <summary>Fraction of the peak below which it has collapsed.</summary>
    public const double MaxFractionOfPeak = 0.5;

    /// <summary>Steps of history needed.</summary>
    public const int MinHistory = 4;

    /// <inheritdoc />
    public string Name => "mode_collapse";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (history.Count < MinHistory) return null;
        var ratios = history.Select(s => s.Summary.DistinctNgramRatio()).ToList();
        if (ratios[^1] is not { } now || ratios[^2] is not { } before) return null;
        double peak = ratios.Where(r => r is not null).Max(r => r!.Value);
        double limit = Math.Min(MaxRatio, MaxFractionOfPeak * peak);
        if (now > limit || before > limit) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Mode collapse: the samples of a prompt share most of their wording (distinct-bigram ratio {now:0.000}, peak {peak:0.000}). Groups no longer explore; consider a higher temperature, a lower learning rate or a KL penalty.");
        return Window.Fire(Name, history, message, [("distinct_bigram_ratio", now), ("distinct_bigram_ratio_previous", before), ("distinct_bigram_ratio_peak", peak), ("limit", limit)]);
    }
}
