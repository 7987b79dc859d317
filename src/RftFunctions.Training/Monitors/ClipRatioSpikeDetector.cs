using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>clip_ratio_spike</c>: the fraction of clipped tokens is ≥ <see cref="MinClip"/> and ≥ <see cref="MinJump"/> × the
/// median of the previous (up to eight, at least three) steps: the sampler and the trainer disagree much more than
/// usual (too large a step, or off-policy samples), and most of the batch stops contributing gradient.
/// </summary>
public sealed class ClipRatioSpikeDetector : IHealthDetector
{
    /// <summary>Smallest clip ratio counted as a spike.</summary>
    public const double MinClip = 0.2;

    /// <summary>Jump over the recent median.</summary>
    public const double MinJump = 3;

    /// <inheritdoc />
    public string Name => "clip_ratio_spike";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (history.Count < 4) return null;
        double now = history[^1].ClipRatio;
        double median = Window.Median(history.SkipLast(1).TakeLast(8).Select(s => s.ClipRatio));
        if (now < MinClip || now < MinJump * median) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Clip ratio spike: {now:P1} of tokens were clipped at step {history[^1].Step} (recent median {median:P1}). The policy update may be too large for the samples; consider a lower learning rate or fewer mini-batches.");
        return Window.Fire(Name, history, message, [("clip_ratio", now), ("clip_ratio_recent_median", median), ("min_clip", MinClip), ("min_jump", MinJump)]);
    }
}
