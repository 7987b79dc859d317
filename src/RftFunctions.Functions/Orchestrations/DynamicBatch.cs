using RftFunctions.Training.Config;
using RftFunctions.Training.Grpo;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// The samples a policy update trains on. Without dynamic sampling: all of them. With it (DAPO): the first
/// PromptsPerStep groups whose rewards are not all equal, from the step's first round and its refills in order, so
/// the choice is a pure function of the stored rollouts and grades (a re-run update picks the same groups).
/// </summary>
internal sealed record DynamicBatch(IReadOnlyList<RolloutSample> Samples, int SampledGroups, int UniformGroups, int DroppedGroups, int RefillRounds)
{
    public static DynamicBatch Select(IReadOnlyList<RolloutSample> samples, RftTrainingConfig config, int refillRounds)
    {
        int g = config.SamplesPerPrompt, groups = samples.Count / g;
        var shaped = samples.Select(s => config.ShapedReward(s.Reward, s.CompletionIds.Count)).ToArray();
        int uniform = groups - DynamicSampling.GroupsWithSignal(shaped, g);
        if (!config.DynamicSampling) return new DynamicBatch(samples, groups, uniform, 0, refillRounds);
        var kept = DynamicSampling.KeptGroups(shaped, g, config.PromptsPerStep);
        var selected = kept.SelectMany(k => samples.Skip(k * g).Take(g)).ToList();
        return new DynamicBatch(selected, groups, uniform, groups - kept.Count, refillRounds);
    }

    /// <summary>The update's metrics with what dynamic sampling did: the zero-std fraction over every group sampled
    /// (the trained batch has none when refills succeeded), the groups left out and the refill rounds.</summary>
    public PolicyUpdateMetrics Describe(PolicyUpdateMetrics metrics) => metrics with
    {
        FractionZeroStdGroups = SampledGroups == 0 ? 0 : (double)UniformGroups / SampledGroups,
        DroppedGroups = DroppedGroups,
        RefillRounds = RefillRounds,
    };
}
