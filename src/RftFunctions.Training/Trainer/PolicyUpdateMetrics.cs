namespace RftFunctions.Training.Trainer;

/// <summary>What one policy update did: the numbers users look for first (rewards), then the optimisation's.</summary>
public sealed record PolicyUpdateMetrics
{
    /// <summary>0-based step.</summary>
    public int Step { get; init; }

    /// <summary>Mean reward over the batch's samples.</summary>
    public double RewardMean { get; init; }

    /// <summary>Reward standard deviation over the batch's samples.</summary>
    public double RewardStd { get; init; }

    /// <summary>Fraction of prompt groups whose samples all scored the same (no learning signal).</summary>
    public double FractionZeroStdGroups { get; init; }

    /// <summary>The loss (near 0 on-policy by construction: watch rewards, not this).</summary>
    public double Loss { get; init; }

    /// <summary>Learning rate used.</summary>
    public double LearningRate { get; init; }

    /// <summary>Gradient norm before clipping.</summary>
    public double GradNorm { get; init; }

    /// <summary>Fraction of tokens clipped below / above / either way.</summary>
    public double ClipRatioLow { get; init; }

    /// <summary>Fraction of tokens clipped above.</summary>
    public double ClipRatioHigh { get; init; }

    /// <summary>Mean k3 KL to the reference (0 without one).</summary>
    public double Kl { get; init; }

    /// <summary>Mean per-token entropy of the policy on its completions.</summary>
    public double Entropy { get; init; }

    /// <summary>Mean |logp_sampler - logp_trainer| over the batch's counted tokens, where logp_trainer is the policy
    /// before the update as the trainer scores it: 0 up to rounding when sampler and trainer agree (same engine, same
    /// dtype, same temperature); larger values mean the rollouts are off-policy for the trainer (bf16, another engine).</summary>
    public double SamplerMismatchMean { get; init; }

    /// <summary>Max of the same over the batch's counted tokens.</summary>
    public double SamplerMismatchMax { get; init; }

    /// <summary>Fraction of counted tokens whose truncated-importance-sampling weight hit the cap (0 when TIS is off).</summary>
    public double ImportanceWeightTruncatedFraction { get; init; }

    /// <summary>Optimiser steps taken (passes × mini-batches; fewer when the step was skipped).</summary>
    public int OptimizerSteps { get; init; }

    /// <summary>Groups left out by dynamic sampling (all rewards equal, or beyond the batch once it was full).</summary>
    public int DroppedGroups { get; init; }

    /// <summary>Extra rollout rounds dynamic sampling ran to refill the batch.</summary>
    public int RefillRounds { get; init; }

    /// <summary>Mean / min / max completion length in tokens.</summary>
    public double CompletionLengthMean { get; init; }

    /// <summary>Shortest completion.</summary>
    public int CompletionLengthMin { get; init; }

    /// <summary>Longest completion.</summary>
    public int CompletionLengthMax { get; init; }

    /// <summary>Fraction of completions truncated at the budget.</summary>
    public double TruncatedFraction { get; init; }

    /// <summary>Completion tokens trained on.</summary>
    public long Tokens { get; init; }

    /// <summary>True when the NaN/Inf guard skipped the optimiser step (weights and optimiser state unchanged).</summary>
    public bool Skipped { get; init; }

    /// <summary>Why the step was skipped.</summary>
    public string? SkipReason { get; init; }
}
