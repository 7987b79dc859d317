using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>kl_blowup</c>: the per-token KL to the reference policy is ≥ <see cref="MaxKl"/>, or ≥ <see cref="MinKl"/> and ≥
/// <see cref="MinJump"/> × the median of the previous (up to eight) steps: the policy moved far from where it started in
/// one step, which usually means an unstable update or a reward the policy found a cheap way to exploit.
/// </summary>
public sealed class KlBlowupDetector : IHealthDetector
{
    /// <summary>KL that is too far whatever came before (nats per token).</summary>
    public const double MaxKl = 1.0;

    /// <summary>Smallest KL a jump counts at.</summary>
    public const double MinKl = 0.1;

    /// <summary>Jump over the recent median.</summary>
    public const double MinJump = 10;

    /// <inheritdoc />
    public string Name => "kl_blowup";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (history.Count == 0) return null;
        double now = history[^1].Kl;
        var previous = history.SkipLast(1).TakeLast(8).Select(s => s.Kl).ToList();
        double median = Window.Median(previous);
        bool jump = previous.Count >= 3 && now >= MinKl && now >= MinJump * median;
        if (now < MaxKl && !jump) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"KL to the reference blew up: {now:0.0000} per token at step {history[^1].Step} (recent median {median:0.0000}). The update may be unstable; consider a lower learning rate, a KL penalty (beta) or tighter clipping.");
        return Window.Fire(Name, history, message, [("kl", now), ("kl_recent_median", median), ("max_kl", MaxKl), ("min_jump", MinJump)]);
    }
}
