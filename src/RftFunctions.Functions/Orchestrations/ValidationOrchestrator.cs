using Microsoft.DurableTask;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Validation of one policy version: eval_samples samples per validation item, fanned out as Rollout shards, graded,
/// each shard graded as soon as it is sampled, summed to valid_reward_mean overall and per sub-grader.
/// </summary>
public sealed class ValidationOrchestrator : TaskOrchestrator<ValidationInput, ValidationResult>
{
    /// <inheritdoc />
    public override async Task<ValidationResult> RunAsync(TaskOrchestrationContext context, ValidationInput input)
    {
        var plan = input.Plan;
        var shards = Enumerable.Range(0, plan.ValidExamples).Chunk(ShardPrompts(plan)).ToList();
        var t0 = context.CurrentUtcDateTime;
        // Each shard is graded as soon as it is sampled (see TrainingJobOrchestrator.SampleAndGradeAsync).
        var graded = await Task.WhenAll(shards.Select((indices, shard) => TrainingJobOrchestrator.SampleAndGradeAsync(context,
            new RolloutInput(input.JobId, input.Step, shard, Split.Valid, indices, plan.EvalSamples, input.PolicyPrefix))));
        var grades = graded.Select(g => g.Grade).ToList();
        var t1 = graded.Max(g => g.SampledAt);
        var t2 = context.CurrentUtcDateTime;
        var totals = GradeTotals.Of(grades);
        return new ValidationResult(totals.RewardMean, totals.Count, totals.SubRewardMeans, totals.SubTypes, totals.ErrorCounts,
            (t1 - t0).TotalSeconds, (t2 - t1).TotalSeconds, totals.JudgeUsage, totals.Timings);
    }

    /// <summary>
    /// Prompts per validation shard: as many sequences as a training shard carries (shard prompts × samples per
    /// prompt), so a validation with one sample per item is not cut into many tiny activities whose dispatch costs
    /// more than their sampling (150 items at 4 per shard were 38 activities in a row on one gpu slot).
    /// </summary>
    public static int ShardPrompts(JobPlan plan) =>
        Math.Max(plan.RolloutShardPrompts, plan.RolloutShardPrompts * plan.SamplesPerPrompt / Math.Max(1, plan.EvalSamples));
}
