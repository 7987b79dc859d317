using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>entropy_collapse</c>: for two steps in a row the per-token entropy of the sampled completions is below
/// <see cref="MaxFractionOfPeak"/> of its highest value in the history and below <see cref="MaxEntropy"/> nats: the
/// policy samples (nearly) one answer per prompt, so groups stop differing and learning stops (often after a format
/// or phrase was rewarded too strongly).
/// </summary>
public sealed class EntropyCollapseDetector : IHealthDetector
{
    /// <summary>Fraction of the peak entropy below which it has collapsed.</summary>
    public const double MaxFractionOfPeak = 0.15;

    /// <summary>Absolute ceiling (nats per token) of a collapsed entropy.</summary>
    public const double MaxEntropy = 0.1;

    /// <summary>Steps of history needed (a peak to compare with).</summary>
    public const int MinHistory = 4;

    /// <inheritdoc />
    public string Name => "entropy_collapse";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (history.Count < MinHistory) return null;
        double peak = history.Max(s => s.Entropy);
        double now = history[^1].Entropy, before = history[^2].Entropy;
        double limit = Math.Min(MaxEntropy, MaxFractionOfPeak * peak);
        if (peak <= 0 || now > limit || before > limit) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Entropy collapse: per-token entropy fell to {now:0.0000} (peak {peak:0.0000}); the policy samples nearly the same answer every time, so groups stop differing and learning stalls. Consider a lower learning rate, an entropy bonus or a KL penalty.");
        return Window.Fire(Name, history, message, [("entropy", now), ("entropy_previous", before), ("entropy_peak", peak), ("limit", limit)]);
    }
}
