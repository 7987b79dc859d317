using Microsoft.DurableTask;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>Moves the job record to a new status and appends the matching message event (idempotent by sequence).</summary>
public sealed class RecordJobStatusActivity(JobStore store, WorkerShutdown shutdown) : TaskActivity<JobStatusChange, string>
{
    /// <inheritdoc />
    public override async Task<string> RunAsync(TaskActivityContext context, JobStatusChange input)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await store.UpdateAsync(input.JobId, job => job with
        {
            Status = input.Status,
            // Failure messages come from exceptions and may name server paths; users see them without.
            Error = input.ErrorCode is null ? job.Error : new JobError(input.ErrorCode, ServerPaths.Scrub(input.ErrorMessage ?? input.Message), null),
            FinishedAt = JobStatus.IsTerminal(input.Status) ? job.FinishedAt ?? now : null,
            TotalSteps = input.TotalSteps ?? job.TotalSteps,
        }, shutdown.Token);
        await store.AppendEventAsync(input.JobId, input.Sequence, new JobEventObject
        {
            Id = "",
            CreatedAt = now,
            Level = input.Level ?? (input.Status == JobStatus.Failed ? "error" : "info"),
            Message = ServerPaths.Scrub(input.Message),
            Type = "message",
        }, shutdown.Token);
        return input.Status;
    }
}
