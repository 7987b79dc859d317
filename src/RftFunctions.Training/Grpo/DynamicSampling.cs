namespace RftFunctions.Training.Grpo;

/// <summary>
/// DAPO's dynamic sampling (Yu et al. 2025, §3.2, eq. 11's constraint 0 &lt; |correct| &lt; G; verl
/// <c>algorithm.filter_groups</c>): a group whose rewards are all equal has zero advantage for every sample and adds
/// nothing but noise to the normaliser, so the batch keeps only groups with signal, up to the batch size.
/// </summary>
public static class DynamicSampling
{
    /// <summary>The 0-based groups (of <paramref name="groupSize"/> consecutive rewards) a batch of
    /// <paramref name="wanted"/> groups keeps: those with signal in order, at most <paramref name="wanted"/>. When no
    /// group has signal, the first <paramref name="wanted"/> groups (the update is then a no-op in the policy gradient).</summary>
    public static IReadOnlyList<int> KeptGroups(IReadOnlyList<double> rewards, int groupSize, int wanted)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groupSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(wanted);
        int groups = rewards.Count / groupSize;
        var kept = Enumerable.Range(0, groups).Where(g => !AdvantageEstimator.IsUniform(rewards, g * groupSize, groupSize)).Take(wanted).ToList();
        return kept.Count > 0 ? kept : [.. Enumerable.Range(0, Math.Min(groups, wanted))];
    }

    /// <summary>Groups with signal among <paramref name="rewards"/> (laid out group after group).</summary>
    public static int GroupsWithSignal(IReadOnlyList<double> rewards, int groupSize) =>
        Enumerable.Range(0, rewards.Count / groupSize).Count(g => !AdvantageEstimator.IsUniform(rewards, g * groupSize, groupSize));

    /// <summary>How many prompts the next refill round samples: the missing groups divided by the share of groups that
    /// had signal so far (at least a quarter, so a run of uniform groups does not ask for the whole data set), capped
    /// at one batch.</summary>
    public static int RefillSize(int missing, int sampledGroups, int groupsWithSignal, int batchPrompts)
    {
        double rate = sampledGroups == 0 ? 1 : Math.Max(0.25, (double)groupsWithSignal / sampledGroups);
        return Math.Clamp((int)Math.Ceiling(missing / rate), 1, batchPrompts);
    }
}
