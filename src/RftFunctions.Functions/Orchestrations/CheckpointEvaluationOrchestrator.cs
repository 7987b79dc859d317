using Microsoft.DurableTask;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Evaluates one checkpoint on the full validation set (every item, eval_samples samples each) with the job's RolloutAndGrade
/// activity, then records the result on the checkpoint and as a job event and keeps the best checkpoints
/// (<see cref="CheckpointEvaluationRecordActivity"/>). Every activity is idempotent, so redelivery and replays are safe.
/// </summary>
public sealed class CheckpointEvaluationOrchestrator : TaskOrchestrator<CheckpointEvaluationInput, CheckpointEvaluationOutcome>
{
    /// <inheritdoc />
    public override async Task<CheckpointEvaluationOutcome> RunAsync(TaskOrchestrationContext context, CheckpointEvaluationInput input)
    {
        GradeTotals totals;
        try
        {
            var plan = await context.CallActivityAsync<JobPlan>(RftOrchestrations.ValidateJob, input.JobId, RftOrchestrations.Retry);
            int step = input.StepNumber - 1;
            var shards = Enumerable.Range(0, plan.ValidExamples).Chunk(plan.RolloutShardPrompts).ToList();
            var graded = await Task.WhenAll(shards.Select((indices, shard) => TrainingJobOrchestrator.SampleAndGradeAsync(context,
                new RolloutInput(input.JobId, step, shard, CheckpointEvaluation.Split, indices, plan.EvalSamples, input.CheckpointPrefix))));
            totals = GradeTotals.Of([.. graded.Select(g => g.Grade)]);
        }
        catch (TaskFailedException ex)
        {
            // Most often the job pruned this checkpoint (its files are gone) while it was being evaluated.
            return new CheckpointEvaluationOutcome("failed", null, false, ex.FailureDetails.ErrorMessage);
        }
        return await context.CallActivityAsync<CheckpointEvaluationOutcome>(CheckpointEvaluation.RecordActivity,
            new CheckpointEvaluationResult(input.JobId, input.StepNumber, totals.RewardMean, totals.Count, totals.SubRewardMeans,
                CheckpointEvaluation.EventSequence(context.CurrentUtcDateTime, input.StepNumber)), RftOrchestrations.Retry);
    }
}
