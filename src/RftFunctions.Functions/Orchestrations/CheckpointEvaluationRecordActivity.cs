using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Checkpoints;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Records a checkpoint's full-set evaluation: its <c>valid_reward_mean</c> (and per-grader means) become the full-set
/// numbers (the step's own validation stays as <c>step_valid_reward_mean</c>), a job event says so, and the job keeps its
/// best checkpoints (<see cref="CheckpointEvaluation.KeepBestAsync"/>). Idempotent: the same values, the same event id.
/// </summary>
public sealed class CheckpointEvaluationRecordActivity(JobWorkspace workspace, FineTunedModels models, WorkerShutdown shutdown) : TaskActivity<CheckpointEvaluationResult, CheckpointEvaluationOutcome>
{
    /// <inheritdoc />
    public override async Task<CheckpointEvaluationOutcome> RunAsync(TaskActivityContext context, CheckpointEvaluationResult input)
    {
        var ct = shutdown.Token;
        var store = workspace.Store;
        var checkpoint = (await store.ListCheckpointsAsync(input.JobId, ct)).FirstOrDefault(c => c.StepNumber == input.StepNumber);
        if (checkpoint is null)
        {
            // The manifest is written before the record: files without a record means "not yet" (the retry waits for
            // it); no files means the job pruned it.
            if (await TrainerStateStore.ReadManifestAsync(store.Container, JobBlobs.Checkpoint(input.JobId, input.StepNumber), ct) is not null)
                throw new InvalidOperationException($"checkpoint {input.StepNumber} of job {input.JobId} has its files but no record yet");
            return new CheckpointEvaluationOutcome("gone", input.RewardMean, false, "the checkpoint was deleted before its evaluation was recorded");
        }
        var metrics = new Dictionary<string, double>(checkpoint.Metrics, StringComparer.Ordinal);
        if (!metrics.ContainsKey("step_valid_reward_mean") && metrics.TryGetValue("valid_reward_mean", out var stepMean))
            metrics["step_valid_reward_mean"] = stepMean;
        metrics["valid_reward_mean"] = input.RewardMean;
        metrics["valid_samples"] = input.Count;
        foreach (var (name, mean) in input.SubRewardMeans) metrics[$"valid_{name}_mean"] = mean;
        await store.UpsertCheckpointAsync(checkpoint with { Metrics = metrics }, ct);
        // Inputs from before time-ordered sequences carry none: the step keeps a redelivery on one row.
        var sequence = input.EventSequence > 0 ? input.EventSequence : CheckpointEvaluation.EventSequence(DateTime.UnixEpoch, input.StepNumber);
        await store.AppendEventAsync(input.JobId, sequence, new JobEventObject
        {
            Id = "",
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Level = "info",
            Type = "message",
            Message = string.Create(CultureInfo.InvariantCulture,
                $"Checkpoint at step {input.StepNumber} evaluated on the full validation set ({input.Count} samples): valid mean reward={input.RewardMean:0.00}"),
            Data = JsonSerializer.SerializeToElement(new
            {
                step = input.StepNumber,
                checkpoint = checkpoint.FineTunedModelCheckpoint,
                valid_reward_mean = input.RewardMean,
                valid_samples = input.Count,
                graders = input.SubRewardMeans,
            }),
        }, ct);
        var job = await workspace.GetJobAsync(input.JobId, ct);
        var kept = await CheckpointEvaluation.KeepBestAsync(store, models, job.Spec, input.JobId, ct);
        return new CheckpointEvaluationOutcome("evaluated", input.RewardMean, kept.Contains(input.StepNumber));
    }
}
