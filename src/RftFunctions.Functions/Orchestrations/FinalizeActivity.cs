using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Checkpoints;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Copies the last trainer state to <c>jobs/{jobId}/final/</c> (manifest last), names the fine-tuned model
/// <c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job-id&gt;</c>, publishes it in the job's project (merged model folder +
/// registry; before the status changes, so a succeeded job's model is always servable), marks the job succeeded and
/// frees the worker's caches.
/// </summary>
public sealed class FinalizeActivity(JobWorkspace workspace, FineTunedModels models, WorkerShutdown shutdown) : TaskActivity<FinalizeInput, string>
{
    /// <inheritdoc />
    public override async Task<string> RunAsync(TaskActivityContext context, FinalizeInput input)
    {
        var ct = shutdown.Token;
        var store = workspace.Store;
        var job = await workspace.GetJobAsync(input.JobId, ct);
        var manifest = await TrainerStateStore.CopyAsync(store.Container, input.StatePrefix, JobBlobs.Final(input.JobId), ct);
        var name = CheckpointActivity.FineTunedName(job.Spec, input.JobId);
        await models.PublishAsync(job.Spec, JobBlobs.Final(input.JobId), JobBlobs.Final(input.JobId), name, ct);
        long tokens = 0;
        for (int step = 0; step < input.TotalSteps; step++)
        {
            var state = await TrainerStateStore.ReadManifestAsync(store.Container, JobBlobs.State(input.JobId, step), ct);
            if (state?.Metrics is null) continue;
            tokens += System.Text.Json.JsonSerializer.Deserialize<Training.Trainer.PolicyUpdateMetrics>(state.Metrics)!.Tokens;
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await store.UpdateAsync(input.JobId, j => j with
        {
            Status = JobStatus.Succeeded,
            FineTunedModel = name,
            FinishedAt = j.FinishedAt ?? now,
            TrainedTokens = tokens,
            TrainedSteps = manifest.CompletedSteps,
        }, ct);
        await store.AppendEventAsync(input.JobId, input.Sequence, new JobEventObject
        {
            Id = "",
            CreatedAt = now,
            Level = "info",
            Message = $"The job has successfully completed; fine-tuned model {name}",
            Type = "message",
        }, ct);
        workspace.Forget(input.JobId);
        return name;
    }
}
