using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>reward_saturated</c>: for <see cref="Steps"/> steps in a row the mean reward is ≥ <see cref="MinReward"/> (of the
/// OpenAI graders' maximum of 1) and ≥ <see cref="MinUniformFraction"/> of the groups got identical rewards: the policy
/// already earns full marks, so further steps cannot improve it; either the job is done or the grader is too easy
/// (or gamed).
/// </summary>
public sealed class RewardSaturationDetector : IHealthDetector
{
    /// <summary>Consecutive steps.</summary>
    public const int Steps = 3;

    /// <summary>Smallest mean reward counted as saturated.</summary>
    public const double MinReward = 0.95;

    /// <summary>Smallest fraction of groups with identical rewards.</summary>
    public const double MinUniformFraction = 0.75;

    /// <inheritdoc />
    public string Name => "reward_saturated";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (Window.Last(history, Steps) is not { } w) return null;
        if (w.Any(s => s.TrainRewardMean < MinReward || s.FractionZeroStdGroups < MinUniformFraction)) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Reward saturated: for {Steps} steps the mean reward was at least {MinReward} (last {w[^1].TrainRewardMean:0.000}) with {w[^1].FractionZeroStdGroups:P0} of groups all equal. Further steps cannot improve on the grader; the grader may be too easy or gamed. Read the samples and consider stopping the job.");
        return Window.Fire(Name, history, message,
            [("train_reward_mean", w[^1].TrainRewardMean), ("frac_reward_zero_std", w[^1].FractionZeroStdGroups), ("min_reward", MinReward), ("window_steps", Steps)]);
    }
}
