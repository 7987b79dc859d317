using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Health;

namespace RftFunctions.Functions.Jobs;

/// <summary>
/// Settles jobs whose create was cut by a storage outage (issue 22): the row was written, the orchestration could not be
/// started and the row could not be deleted either (<see cref="TrainingJobService.CreateAsync"/> tries). At start-up and
/// every <see cref="Interval"/>, a row still in <c>validating_files</c> after <see cref="GraceSetting"/> with no
/// orchestration instance is failed with code <c>orchestration_not_started</c> and a message saying to create it again.
/// Its caller was answered 503, so failing it (not starting it) keeps the answer true. A row with an instance is the
/// orchestration's to move and is left alone.
/// </summary>
public sealed class UnstartedJobReconciler(JobStore store, DurableTaskClient client, IConfiguration configuration, LoopLiveness liveness, ILogger<UnstartedJobReconciler> logger) : BackgroundService
{
    /// <summary>The liveness name.</summary>
    public const string LoopName = "unstarted-job-reconciler";

    /// <summary>Seconds a job may stay in validating_files with no orchestration before it is failed (default 120, 5..3600).</summary>
    public const string GraceSetting = "Rft:UnstartedJobGraceSeconds";

    /// <summary>The error code of a failed unstarted job.</summary>
    public const string ErrorCode = "orchestration_not_started";

    /// <summary>How often the rows are looked at.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var grace = TimeSpan.FromSeconds(Math.Clamp(configuration.GetValue(GraceSetting, 120.0), 5, 3600));
        var loop = liveness.Register(LoopName, Interval + TimeSpan.FromMinutes(5));
        var backoff = new StorageBackoff(Interval);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    int failed = await ReconcileAsync(grace, stoppingToken);
                    backoff.Succeeded();
                    loop.Beat(failed == 0 ? null : $"failed {failed} unstarted job(s)");
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    backoff.Failed();
                    loop.Beat("last round failed: " + e.GetType().Name);
                    logger.LogWarning(e, "unstarted job reconciliation failed; retrying in {Delay}", backoff.Delay);
                }
                // Sooner than the interval while a grace period is running out for a row seen this round.
                await Task.Delay(TimeSpan.FromTicks(Math.Min(backoff.Delay.Ticks, grace.Ticks)), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            loop.Stopped(stoppingToken.IsCancellationRequested ? "host stopping" : "the reconciler ended while the host runs");
        }
    }

    /// <summary>One round; returns how many jobs it failed.</summary>
    public async Task<int> ReconcileAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        int failed = 0;
        var now = DateTimeOffset.UtcNow;
        foreach (var job in await store.ListByStatusAsync(JobStatus.ValidatingFiles, cancellationToken))
        {
            if (now - DateTimeOffset.FromUnixTimeSeconds(job.CreatedAt) < grace) continue;
            if (await client.GetInstanceAsync(job.Id, cancellationToken) is not null) continue;
            const string message = "The job could not be started: storage was unavailable when it was created. Nothing ran; create it again.";
            await store.UpdateAsync(job.Id, j => j.Status != JobStatus.ValidatingFiles ? j : j with
            {
                Status = JobStatus.Failed,
                Error = new JobError(ErrorCode, message, null),
                FinishedAt = now.ToUnixTimeSeconds(),
            }, cancellationToken);
            await store.AppendEventAsync(job.Id, JobStore.EventSequenceAt(now.UtcDateTime), new JobEventObject
            {
                Id = "",
                CreatedAt = now.ToUnixTimeSeconds(),
                Level = "error",
                Message = message,
                Type = "message",
            }, cancellationToken);
            logger.LogWarning("job {JobId}: no orchestration {Grace} after its create; failed as {Code}", job.Id, grace, ErrorCode);
            failed++;
        }
        return failed;
    }
}
