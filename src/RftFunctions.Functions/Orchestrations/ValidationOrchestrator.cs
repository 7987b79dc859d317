using RftFunctions.Durable;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Validation of one policy version: eval_samples samples per validation item, fanned out as Rollout shards, graded,
/// summed to valid_reward_mean overall and per sub-grader.
/// </summary>
public sealed class ValidationOrchestrator : TaskOrchestrator<ValidationInput, ValidationResult>
{
    /// <inheritdoc />
    public override async Task<ValidationResult> RunAsync(TaskOrchestrationContext context, ValidationInput input)
    {
        var plan = input.Plan;
        var shards = Enumerable.Range(0, plan.ValidExamples).Chunk(plan.RolloutShardPrompts).ToList();
        var t0 = context.CurrentUtcDateTime;
        var rollouts = await Task.WhenAll(shards.Select((indices, shard) => context.CallActivityAsync<RolloutResult>(RftOrchestrations.Rollout,
            new RolloutInput(input.JobId, input.Step, shard, Split.Valid, indices, plan.EvalSamples, input.PolicyPrefix), RftOrchestrations.Retry)));
        var t1 = context.CurrentUtcDateTime;
        var grades = await Task.WhenAll(rollouts.Select((r, shard) => context.CallActivityAsync<GradeResult>(RftOrchestrations.Grade,
            new GradeInput(input.JobId, input.Step, shard, Split.Valid, r.Blob), RftOrchestrations.Retry)));
        var t2 = context.CurrentUtcDateTime;
        var totals = GradeTotals.Of(grades);
        return new ValidationResult(totals.RewardMean, totals.Count, totals.SubRewardMeans, totals.SubTypes, totals.ErrorCounts,
            (t1 - t0).TotalSeconds, (t2 - t1).TotalSeconds);
    }
}
