namespace RftFunctions.Training.Grpo;

/// <summary>How a completion's reward becomes its advantage (see reference/grpo.md).</summary>
public enum AdvantageBaseline
{
    /// <summary>GRPO: subtract the mean reward of the completion's group (all samples of one prompt).</summary>
    GroupMean,

    /// <summary>RLOO: subtract the mean reward of the OTHER samples of the group (leave-one-out; Ahmadian et al. 2024,
    /// verl's <c>compute_rloo_outcome_advantage</c>).</summary>
    LeaveOneOut,
}

/// <summary>How advantages are divided after the baseline is subtracted.</summary>
public enum AdvantageScaling
{
    /// <summary>By the group's reward standard deviation (+ epsilon): classic GRPO (TRL <c>scale_rewards="group"</c>).
    /// With leave-one-out this is a variant ("RLOO with group-std scaling"), not verl's RLOO.</summary>
    Group,

    /// <summary>By the standard deviation of the raw rewards of the whole batch (+ epsilon), as TRL's
    /// <c>scale_rewards="batch"</c> (after Liu et al. 2025, "Understanding R1-Zero-like training" / REINFORCE++'s
    /// batch normalisation of the scale, without re-centring).</summary>
    Batch,

    /// <summary>Not at all (Dr. GRPO, TRL <c>scale_rewards="none"</c>): avoids up-weighting near-uniform groups.</summary>
    None,

    /// <summary>The estimator's own convention: <see cref="Group"/> for the group-mean baseline (GRPO), <see cref="None"/>
    /// for leave-one-out (verl's RLOO does not divide by a standard deviation). Declared last so the numeric values of
    /// the others, as job specs written before it store them, keep their meaning.</summary>
    Auto,
}

/// <summary>Advantages for a batch, plus what users watch about it.</summary>
/// <param name="Advantages">One per completion, in input order.</param>
/// <param name="ZeroVarianceGroups">Groups whose rewards were all equal: they carry no learning signal.</param>
/// <param name="GroupCount">Groups in the batch.</param>
public sealed record AdvantageResult(float[] Advantages, int ZeroVarianceGroups, int GroupCount)
{
    /// <summary>The fraction of groups without signal (TRL's frac_reward_zero_std).</summary>
    public double FractionZeroVariance => GroupCount == 0 ? 0 : (double)ZeroVarianceGroups / GroupCount;
}

/// <summary>Group-relative advantages: the same scalar applies to every token of a completion.</summary>
public static class AdvantageEstimator
{
    /// <summary>Added to standard deviations before dividing, as TRL does (<c>std + 1e-4</c>).</summary>
    public const double Epsilon = 1e-4;

    /// <summary>The scaling <paramref name="scaling"/> means for <paramref name="baseline"/> (resolves <see cref="AdvantageScaling.Auto"/>).</summary>
    public static AdvantageScaling Resolve(AdvantageBaseline baseline, AdvantageScaling scaling) => scaling != AdvantageScaling.Auto ? scaling
        : baseline == AdvantageBaseline.LeaveOneOut ? AdvantageScaling.None : AdvantageScaling.Group;

    /// <summary>True when every reward of the group is the same. Exact comparison of max and min, as DAPO's dynamic
    /// sampling filter (<c>std == 0</c> of identical values): summing squared deviations of eight rewards of 0.1 in
    /// floating point need not give exactly 0.</summary>
    public static bool IsUniform(IReadOnlyList<double> rewards, int start, int count)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = start; i < start + count; i++)
        {
            min = Math.Min(min, rewards[i]);
            max = Math.Max(max, rewards[i]);
        }
        return max == min;
    }

    /// <summary>Computes advantages for rewards laid out group after group (<paramref name="groupSize"/> each).</summary>
    public static AdvantageResult Compute(IReadOnlyList<double> rewards, int groupSize, AdvantageBaseline baseline, AdvantageScaling scaling)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
        if (rewards.Count % groupSize != 0)
            throw new ArgumentException($"{rewards.Count} rewards do not split into groups of {groupSize}", nameof(rewards));
        if (baseline == AdvantageBaseline.LeaveOneOut && groupSize < 2)
            throw new ArgumentException("leave-one-out needs at least 2 samples per prompt", nameof(groupSize));
        scaling = Resolve(baseline, scaling);

        int groups = rewards.Count / groupSize, zeroVariance = 0;
        var centered = new double[rewards.Count];
        var groupStd = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            int start = g * groupSize;
            double sum = 0;
            for (int i = 0; i < groupSize; i++) sum += rewards[start + i];
            double mean = sum / groupSize, squares = 0;
            for (int i = 0; i < groupSize; i++)
            {
                double r = rewards[start + i];
                squares += (r - mean) * (r - mean);
                // GRPO (Shao et al. 2024, eq. 3): r - mean(group). RLOO (verl compute_rloo_outcome_advantage):
                // r - mean(others) = (G r - sum) / (G - 1).
                centered[start + i] = baseline == AdvantageBaseline.GroupMean ? r - mean : r - (sum - r) / (groupSize - 1);
            }
            // Sample standard deviation (n - 1), as torch.std and TRL use.
            groupStd[g] = groupSize > 1 ? Math.Sqrt(squares / (groupSize - 1)) : 0;
            if (IsUniform(rewards, start, groupSize))
            {
                // Rounding in the mean must not turn a group without signal into tiny advantages.
                zeroVariance++;
                for (int i = 0; i < groupSize; i++) centered[start + i] = 0;
            }
        }

        // TRL (GRPOTrainer._generate_and_score_completions, scale_rewards="batch"): std of the raw rewards of the batch.
        double batchStd = 0;
        if (scaling == AdvantageScaling.Batch && rewards.Count > 1)
        {
            double mean = rewards.Average();
            batchStd = Math.Sqrt(rewards.Sum(r => (r - mean) * (r - mean)) / (rewards.Count - 1));
        }
        var advantages = new float[rewards.Count];
        for (int i = 0; i < advantages.Length; i++)
        {
            double divisor = scaling switch
            {
                AdvantageScaling.Group => groupStd[i / groupSize] + Epsilon,
                AdvantageScaling.Batch => batchStd + Epsilon,
                _ => 1.0,
            };
            advantages[i] = (float)(centered[i] / divisor);
        }
        return new AdvantageResult(advantages, zeroVariance, groups);
    }
}
