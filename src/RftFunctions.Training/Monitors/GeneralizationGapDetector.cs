using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>generalization_gap</c>: across the last <see cref="Validations"/> validated steps, the train reward rose by ≥
/// <see cref="MinTrainRise"/> while the validation reward rose by at most <see cref="MaxValidRise"/> (stalled or fell):
/// the policy fits its training prompts (or the grader's quirks on them) without getting better on unseen ones.
/// </summary>
public sealed class GeneralizationGapDetector : IHealthDetector
{
    /// <summary>Validated steps compared (the first and the last of them).</summary>
    public const int Validations = 3;

    /// <summary>Smallest train-reward rise.</summary>
    public const double MinTrainRise = 0.10;

    /// <summary>Largest validation-reward rise that counts as stalled.</summary>
    public const double MaxValidRise = 0.01;

    /// <inheritdoc />
    public string Name => "generalization_gap";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        // Only a step that validated brings a new comparison.
        if (history.Count == 0 || history[^1].ValidRewardMean is null) return null;
        var validated = history.Where(s => s.ValidRewardMean is not null).ToList();
        if (validated.Count < Validations) return null;
        var w = validated.Skip(validated.Count - Validations).ToList();
        double t0 = w[0].TrainRewardMean, t1 = w[^1].TrainRewardMean, v0 = w[0].ValidRewardMean!.Value, v1 = w[^1].ValidRewardMean!.Value;
        if (t1 - t0 < MinTrainRise || v1 - v0 > MaxValidRise) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Generalisation gap growing: between steps {w[0].Step} and {w[^1].Step} the train reward rose {t0:0.000} -> {t1:0.000} while the validation reward went {v0:0.000} -> {v1:0.000}. The policy may be overfitting the training prompts or exploiting the grader on them.");
        return Window.Fire(Name, history, message,
            [("train_reward_start", t0), ("train_reward_end", t1), ("valid_reward_start", v0), ("valid_reward_end", v1), ("gap_start", t0 - v0), ("gap_end", t1 - v1), ("from_step", w[0].Step)], []);
    }
}
