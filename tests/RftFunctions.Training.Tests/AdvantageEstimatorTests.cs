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
    public void Batch_scaling_divides_by_the_std_over_all_centred_rewards()
    {
        var result = AdvantageEstimator.Compute([1, 0, 2, 0], 2, AdvantageBaseline.GroupMean, AdvantageScaling.Batch);

        // Centred: [0.5, -0.5, 1, -1]; mean 0; sample std = sqrt((0.25 + 0.25 + 1 + 1) / 3).
        double std = Math.Sqrt(2.5 / 3);
        Assert.Equal(1 / (std + AdvantageEstimator.Epsilon), result.Advantages[2], 5);
    }

    [Fact]
    public void Rewards_that_do_not_fill_whole_groups_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => AdvantageEstimator.Compute([1, 0, 1], 2, AdvantageBaseline.GroupMean, AdvantageScaling.Group));
    }
}
