using RftFunctions.Training.Grpo;
using Xunit;

namespace RftFunctions.Training.Tests;

public sealed class AdvantageEstimatorTests
{
    [Fact]
    public void Group_scaling_centres_each_group_and_divides_by_its_sample_std()
    {
        // Group 1: [1, 0, 0, 1]: mean 0.5, sample std sqrt(1/3). Group 2 all equal: no signal.
        var result = AdvantageEstimator.Compute([1, 0, 0, 1, 0.3, 0.3, 0.3, 0.3], 4, AdvantageBaseline.GroupMean, AdvantageScaling.Group);

        double expected = 0.5 / (Math.Sqrt(1.0 / 3) + AdvantageEstimator.Epsilon);
        Assert.Equal(expected, result.Advantages[0], 5);
        Assert.Equal(-expected, result.Advantages[1], 5);
        Assert.All(result.Advantages[4..], a => Assert.Equal(0f, a));
        Assert.Equal(1, result.ZeroVarianceGroups);
        Assert.Equal(0.5, result.FractionZeroVariance);
    }

    [Fact]
    public void No_scaling_is_the_plain_centred_reward()
    {
        var result = AdvantageEstimator.Compute([1, 0, 0.5], 3, AdvantageBaseline.GroupMean, AdvantageScaling.None);

        Assert.Equal([0.5f, -0.5f, 0f], result.Advantages);
    }

    [Fact]
    public void Leave_one_out_subtracts_the_mean_of_the_others()
    {
        var result = AdvantageEstimator.Compute([1, 0, 0], 3, AdvantageBaseline.LeaveOneOut, AdvantageScaling.None);

        Assert.Equal([1f, -0.5f, -0.5f], result.Advantages);
    }

    [Fact]
    public void Batch_scaling_divides_by_the_std_of_the_raw_rewards_of_the_batch_as_trl()
    {
        var result = AdvantageEstimator.Compute([1, 0, 2, 0], 2, AdvantageBaseline.GroupMean, AdvantageScaling.Batch);

        // TRL scale_rewards="batch": centred by the group ([0.5, -0.5, 1, -1]) but divided by the std of the raw rewards
        // [1, 0, 2, 0]: mean 0.75, sample std = sqrt((0.0625 + 0.5625 + 1.5625 + 0.5625) / 3). (The std of the centred
        // rewards would be sqrt(2.5 / 3).)
        double std = Math.Sqrt(2.75 / 3);
        Assert.Equal(1 / (std + AdvantageEstimator.Epsilon), result.Advantages[2], 5);
    }

    [Fact]
    public void Rewards_that_do_not_fill_whole_groups_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => AdvantageEstimator.Compute([1, 0, 1], 2, AdvantageBaseline.GroupMean, AdvantageScaling.Group));
    }
}

public sealed class AdvantageConventionTests
{
    [Fact]
    public void A_group_of_equal_rewards_that_do_not_sum_exactly_is_still_zero_std()
    {
        // Eight rewards of 0.1: the floating-point mean is 0.09999999999999999, so the squared deviations do not sum
        // to exactly 0; the group still carries no signal (max == min).
        var rewards = Enumerable.Repeat(0.1, 8).Concat([1.0, 0, 0, 0, 0, 0, 0, 0]).ToArray();

        var result = AdvantageEstimator.Compute(rewards, 8, AdvantageBaseline.GroupMean, AdvantageScaling.Group);

        Assert.Equal(1, result.ZeroVarianceGroups);
        Assert.All(result.Advantages[..8], a => Assert.Equal(0f, a));
        Assert.True(AdvantageEstimator.IsUniform(rewards, 0, 8));
        Assert.False(AdvantageEstimator.IsUniform(rewards, 8, 8));
    }

    [Fact]
    public void Leave_one_out_by_default_does_not_divide_by_the_group_std_as_verl()
    {
        // verl compute_rloo_outcome_advantage: r - mean(others), no std. [1, 0, 0, 0]: 1 - 0, 0 - 1/3 (x3).
        var result = AdvantageEstimator.Compute([1, 0, 0, 0], 4, AdvantageBaseline.LeaveOneOut, AdvantageScaling.Auto);

        Assert.Equal(1f, result.Advantages[0], 6);
        Assert.All(result.Advantages[1..], a => Assert.Equal(-1f / 3, a, 6));
        Assert.Equal(AdvantageScaling.Auto, new Config.RftTrainingConfig().Scaling);
        Assert.Equal(AdvantageScaling.Group, AdvantageEstimator.Resolve(AdvantageBaseline.GroupMean, AdvantageScaling.Auto));
        Assert.Equal(AdvantageScaling.None, AdvantageEstimator.Resolve(AdvantageBaseline.LeaveOneOut, AdvantageScaling.Auto));
    }

    [Fact]
    public void Scaling_values_stored_by_earlier_job_specs_keep_their_meaning()
    {
        // Job specs store enums as numbers; Auto came later and must not shift the others.
        Assert.Equal([0, 1, 2, 3], new[] { AdvantageScaling.Group, AdvantageScaling.Batch, AdvantageScaling.None, AdvantageScaling.Auto }.Select(s => (int)s));
    }

    [Fact]
    public void Leave_one_out_with_group_scaling_is_the_named_variant_that_divides()
    {
        var plain = AdvantageEstimator.Compute([1, 0, 0, 0], 4, AdvantageBaseline.LeaveOneOut, AdvantageScaling.None);
        var scaled = AdvantageEstimator.Compute([1, 0, 0, 0], 4, AdvantageBaseline.LeaveOneOut, AdvantageScaling.Group);

        double std = Math.Sqrt(0.75 / 3); // sample std of [1, 0, 0, 0]
        Assert.Equal(plain.Advantages[0] / (std + AdvantageEstimator.Epsilon), scaled.Advantages[0], 5);
    }

    [Fact]
    public void Soft_overlong_punishment_follows_dapo_eq_13()
    {
        // L_max 20, buffer 5: free up to 15 tokens, then -(L - 15) / 5, -1 at the budget and beyond.
        Assert.Equal(0, RewardShaping.SoftOverlongPenalty(15, 20, 5, 1.0));
        Assert.Equal(-0.2, RewardShaping.SoftOverlongPenalty(16, 20, 5, 1.0), 12);
        Assert.Equal(-1.0, RewardShaping.SoftOverlongPenalty(20, 20, 5, 1.0), 12);
        Assert.Equal(-0.5, RewardShaping.SoftOverlongPenalty(25, 20, 5, 0.5), 12);
        Assert.Equal(0, RewardShaping.SoftOverlongPenalty(20, 20, 0, 1.0));
    }
}

public sealed class DynamicSamplingTests
{
    [Fact]
    public void Groups_whose_rewards_are_all_equal_are_dropped_and_the_batch_is_capped()
    {
        // Groups of 2: [1,1] uniform, [0,1] signal, [0.1,0.1] uniform, [1,0] signal, [0,0.5] signal.
        double[] rewards = [1, 1, 0, 1, 0.1, 0.1, 1, 0, 0, 0.5];

        Assert.Equal([1, 3], DynamicSampling.KeptGroups(rewards, 2, wanted: 2));
        Assert.Equal([1, 3, 4], DynamicSampling.KeptGroups(rewards, 2, wanted: 8));
        Assert.Equal(3, DynamicSampling.GroupsWithSignal(rewards, 2));
        Assert.Equal([0, 1], DynamicSampling.KeptGroups([1, 1, 0, 0, 2, 2], 2, wanted: 2));
    }

    [Fact]
    public void A_refill_asks_for_the_missing_groups_over_the_observed_signal_rate()
    {
        Assert.Equal(4, DynamicSampling.RefillSize(missing: 2, sampledGroups: 8, groupsWithSignal: 4, batchPrompts: 8));
        Assert.Equal(8, DynamicSampling.RefillSize(missing: 6, sampledGroups: 8, groupsWithSignal: 0, batchPrompts: 8));
        Assert.Equal(1, DynamicSampling.RefillSize(missing: 1, sampledGroups: 8, groupsWithSignal: 8, batchPrompts: 8));
    }
}
