using System.Globalization;
using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Checkpoints;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Turns the trainer state after a validated step into a checkpoint (<c>checkpoints/{step}/</c>, manifest.json
/// last), records it with its metrics, and keeps only the best <c>CheckpointsKept</c> by valid_reward_mean (later step
/// wins ties), deleting the others' rows and blobs. Each kept checkpoint is a model of the job's project named by its
/// <c>fine_tuned_model_checkpoint</c> (<c>ft:...:ckpt-step-N</c>); a pruned one is unregistered.
/// </summary>
public sealed class CheckpointActivity(JobWorkspace workspace, FineTunedModels models, WorkerShutdown shutdown) : TaskActivity<CheckpointInput, string>
{
    /// <inheritdoc />
    public override async Task<string> RunAsync(TaskActivityContext context, CheckpointInput input)
    {
        var ct = shutdown.Token;
        var store = workspace.Store;
        var job = await workspace.GetJobAsync(input.JobId, ct);
        int stepNumber = input.Step + 1;
        var prefix = JobBlobs.Checkpoint(input.JobId, stepNumber);
        await TrainerStateStore.CopyAsync(store.Container, input.StatePrefix, prefix, ct);
        var model = $"{FineTunedName(job.Spec, input.JobId)}:ckpt-step-{stepNumber}";
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["step"] = stepNumber,
            ["train_reward_mean"] = input.TrainRewardMean,
            ["valid_reward_mean"] = input.Validation.RewardMean,
        };
        foreach (var (name, mean) in input.Validation.SubRewardMeans) metrics[$"valid_{name}_mean"] = mean;
        await models.PublishAsync(job.Spec, prefix, prefix, model, ct);
        // A redelivery after the CheckpointEvaluation recorded its full-set numbers must not put the step's back.
        var existing = (await store.ListCheckpointsAsync(input.JobId, ct)).FirstOrDefault(c => c.StepNumber == stepNumber);
        if (existing is not null && existing.Metrics.ContainsKey("step_valid_reward_mean")) metrics = new Dictionary<string, double>(existing.Metrics, StringComparer.Ordinal);
        await store.UpsertCheckpointAsync(new CheckpointObject
        {
            Id = $"ftckpt-{input.JobId}-{stepNumber}",
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            FineTunedModelCheckpoint = model,
            StepNumber = stepNumber,
            Metrics = metrics,
            FineTuningJobId = input.JobId,
            BlobPrefix = prefix,
        }, ct);

        await CheckpointEvaluation.KeepBestAsync(store, models, job.Spec, input.JobId, ct);
        await store.AppendEventOnceAsync(input.JobId, string.Create(CultureInfo.InvariantCulture, $"checkpoint-{stepNumber:D6}"), input.Sequence, new JobEventObject
        {
            Id = "",
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Level = "info",
            Message = string.Create(CultureInfo.InvariantCulture, $"Checkpoint created at step {stepNumber} (valid mean reward={input.Validation.RewardMean:0.00})"),
            Type = "message",
        }, ct);
        return model;
    }

    /// <summary><c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job-id&gt;</c>.</summary>
    public static string FineTunedName(TrainingJobSpec spec, string jobId) => $"ft:{spec.BaseModel}:{spec.Suffix ?? ""}:{jobId}";
}
