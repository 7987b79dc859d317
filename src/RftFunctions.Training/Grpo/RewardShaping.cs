namespace RftFunctions.Training.Grpo;

/// <summary>Reward terms the trainer adds to the grader's reward before advantages are computed.</summary>
public static class RewardShaping
{
    /// <summary>
    /// DAPO's soft overlong punishment (Yu et al. 2025, eq. 13; TRL's <c>get_soft_overlong_punishment</c>, verl's
    /// <c>overlong_buffer</c>): 0 up to <c>max - buffer</c> tokens, then falling linearly to -1 at the budget (and -1
    /// beyond), times <paramref name="factor"/>. It tells the policy that running into the budget is bad without the
    /// cliff of a truncation penalty. A buffer of 0 turns it off.
    /// </summary>
    /// <param name="length">Completion length in tokens.</param>
    /// <param name="maxTokens">The completion budget (L_max).</param>
    /// <param name="buffer">The soft zone before the budget (L_cache).</param>
    /// <param name="factor">Scale of the penalty (verl's penalty_factor).</param>
    public static double SoftOverlongPenalty(int length, int maxTokens, int buffer, double factor)
    {
        if (buffer <= 0) return 0;
        int soft = maxTokens - buffer;
        if (length <= soft) return 0;
        if (length > maxTokens) return -factor;
        return factor * (soft - length) / buffer;
    }
}
