using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>no_learning_signal</c>: for <see cref="Steps"/> steps in a row at least <see cref="MinUniformFraction"/> of the groups
/// had identical rewards while the reward is below <see cref="RewardSaturationDetector.MinReward"/>: GRPO's advantages
/// are zero for such groups, so the job spends compute without learning (the task is too hard for the model or the
/// grader cannot tell samples apart).
/// </summary>
public sealed class NoLearningSignalDetector : IHealthDetector
{
    /// <summary>Consecutive steps.</summary>
    public const int Steps = 3;

    /// <summary>Smallest fraction of groups with identical rewards.</summary>
    public const double MinUniformFraction = 0.9;

    /// <inheritdoc />
    public string Name => "no_learning_signal";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (Window.Last(history, Steps) is not { } w) return null;
        if (w.Any(s => s.FractionZeroStdGroups < MinUniformFraction || s.TrainRewardMean >= RewardSaturationDetector.MinReward)) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"No learning signal: for {Steps} steps at least {MinUniformFraction:P0} of the prompt groups got identical rewards (last {w[^1].FractionZeroStdGroups:P0}, mean reward {w[^1].TrainRewardMean:0.000}), so their advantages are zero. The task may be too hard for the model or the grader too coarse; consider easier prompts, more samples per prompt or a graded (partial-credit) reward.");
        return Window.Fire(Name, history, message,
            [("frac_reward_zero_std", w[^1].FractionZeroStdGroups), ("train_reward_mean", w[^1].TrainRewardMean), ("min_uniform_fraction", MinUniformFraction), ("window_steps", Steps)]);
    }
}
