using RftFunctions.Functions.Orchestrations;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

public sealed class ValidationShardTests
{
    private static JobPlan Plan(int shardPrompts, int samplesPerPrompt, int evalSamples) =>
        new(10, 80, 150, 7, 8, samplesPerPrompt, 1, 5, evalSamples, 10, shardPrompts);

    [Theory]
    [InlineData(4, 8, 1, 32)] // the demo: 150 items in 5 shards of 32 sequences, not 38 of 4
    [InlineData(4, 8, 2, 16)]
    [InlineData(4, 8, 8, 4)] // as many samples as training: the training shard size
    [InlineData(4, 2, 4, 4)] // more eval samples than training samples: never below the configured size
    [InlineData(1, 3, 1, 3)]
    public void A_validation_shard_carries_as_many_sequences_as_a_training_shard(int shardPrompts, int samplesPerPrompt, int evalSamples, int expected) =>
        Assert.Equal(expected, ValidationOrchestrator.ShardPrompts(Plan(shardPrompts, samplesPerPrompt, evalSamples)));
}
