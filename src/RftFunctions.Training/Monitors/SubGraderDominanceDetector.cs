using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>sub_grader_dominance</c>: for <see cref="Steps"/> steps in a row, one sub-grader of a <c>multi</c> grader explains ≥
/// <see cref="MinShare"/> of the reward's variance across the step's samples (its r² with the reward) while another
/// sub-grader that does vary explains ≤ <see cref="MaxOtherShare"/>: the other criteria no longer steer learning, and
/// the policy optimises the dominant one alone (often the easiest one to game).
/// </summary>
public sealed class SubGraderDominanceDetector : IHealthDetector
{
    /// <summary>Consecutive steps.</summary>
    public const int Steps = 3;

    /// <summary>Smallest r² of the dominant sub-grader.</summary>
    public const double MinShare = 0.9;

    /// <summary>Largest r² of a varying other sub-grader.</summary>
    public const double MaxOtherShare = 0.1;

    /// <inheritdoc />
    public string Name => "sub_grader_dominance";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (Window.Last(history, Steps) is not { } w || history[^1].SubRewardMeans.Count < 2) return null;
        string? dominant = null;
        double share = 0, other = 1;
        foreach (var s in w)
        {
            var shares = s.SubRewardMeans.Keys.Order(StringComparer.Ordinal)
                .Select(n => (Name: n, R: s.Summary.Correlation(n, "reward")))
                .Where(p => p.R is not null).Select(p => (p.Name, Share: p.R!.Value * p.R!.Value)).ToList();
            if (shares.Count < 2) return null;
            var top = shares.MaxBy(p => p.Share);
            var low = shares.Where(p => p.Name != top.Name).Min(p => p.Share);
            if (top.Share < MinShare || low > MaxOtherShare || dominant is not null && dominant != top.Name) return null;
            (dominant, share, other) = (top.Name, top.Share, low);
        }
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Sub-grader '{dominant}' drives nearly all reward variance (r² {share:0.00} with the reward for {Steps} steps) while another varying sub-grader explains {other:0.00}: the other criteria barely steer learning. Check the multi grader's weights or calculate_output.");
        return Window.Fire(Name, history, message, [("dominant_share", share), ("other_share", other), ("min_share", MinShare), ("window_steps", Steps)], []);
    }
}
