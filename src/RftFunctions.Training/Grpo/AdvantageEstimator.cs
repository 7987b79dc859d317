namespace RftFunctions.Training.Grpo;

/// <summary>How a completion's reward becomes its advantage (see reference/grpo.md).</summary>
public enum AdvantageBaseline
{
    /// <summary>GRPO: subtract the mean reward of the completion's group (all samples of one prompt).</summary>
    GroupMean,

    /// <summary>RLOO: subtract the mean reward of the OTHER samples of the group (leave-one-out).</summary>
    LeaveOneOut,
}

/// <summary>How advantages are divided after the baseline is subtracted.</summary>
public enum AdvantageScaling
{
    /// <summary>By the group's reward standard deviation (+ epsilon): classic GRPO.</summary>
    Group,

    /// <summary>By the standard deviation over the whole batch (REINFORCE++-style).</summary>
    Batch,

    /// <summary>Not at all (Dr. GRPO): avoids up-weighting near-uniform groups.</summary>
    None,
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
    /// <summary>Added to standard deviations before dividing, as TRL does.</summary>
    public const double Epsilon = 1e-4;

    /// <summary>Computes advantages for rewards laid out group after group (<paramref name="groupSize"/> each).</summary>
    public static AdvantageResult Compute(IReadOnlyList<double> rewards, int groupSize, AdvantageBaseline baseline, AdvantageScaling scaling)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
        if (rewards.Count % groupSize != 0)
            throw new ArgumentException($"{rewards.Count} rewards do not split into groups of {groupSize}", nameof(rewards));
        if (baseline == AdvantageBaseline.LeaveOneOut && groupSize < 2)
            throw new ArgumentException("leave-one-out needs at least 2 samples per prompt", nameof(groupSize));

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
                centered[start + i] = baseline == AdvantageBaseline.GroupMean ? r - mean : r - (sum - r) / (groupSize - 1);
            }
            // Sample standard deviation (n - 1), as torch.std and TRL use.
            groupStd[g] = groupSize > 1 ? Math.Sqrt(squares / (groupSize - 1)) : 0;
            if (squares == 0) zeroVariance++;
        }

        double batchStd = 0;
        if (scaling == AdvantageScaling.Batch && rewards.Count > 1)
        {
            double mean = centered.Average();
            batchStd = Math.Sqrt(centered.Sum(a => (a - mean) * (a - mean)) / (centered.Length - 1));
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
