using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Orchestrations;

namespace RftFunctions.Functions.Jobs;

/// <summary>
/// What the API does with jobs: create (spec blob, job row, orchestration start), pause (only after the first step),
/// resume, cancel, and reads. Control requests travel as the orchestration's control event and take effect between
/// steps.
/// </summary>
public sealed class TrainingJobService(JobStore store, DurableTaskClient client)
{
    /// <summary>The store behind the reads.</summary>
    public JobStore Store => store;

    /// <summary>Writes the spec, records the job (validating_files) and starts its orchestration (instance id = job id).</summary>
    /// <remarks>The job belongs to <see cref="TrainingJobSpec.Project"/>; <paramref name="method"/> is echoed in the job
    /// object as submitted.</remarks>
    public async Task<FineTuningJobObject> CreateAsync(TrainingJobSpec spec, string? trainingFileId = null, string? validationFileId = null,
        IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default, System.Text.Json.JsonElement? method = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var job = new FineTuningJobObject
        {
            Id = spec.JobId,
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Model = spec.BaseModel,
            Status = JobStatus.ValidatingFiles,
            TrainingFile = trainingFileId ?? spec.TrainingBlob,
            ValidationFile = validationFileId ?? spec.ValidationBlob,
            Seed = spec.Config.Seed,
            Suffix = spec.Suffix,
            Metadata = metadata,
            Method = method,
        };
        // The spec first: the row is what the user sees, and a row must never name a job that has no spec.
        await store.EnsureAsync();
        await store.Container.GetBlobClient(TrainingJobSpec.BlobName(spec.JobId)).UploadAsync(BinaryData.FromObjectAsJson(spec), overwrite: true, cancellationToken);
        await store.CreateAsync(job, spec.Project ?? "", cancellationToken);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(RftOrchestrations.TrainingJob, new TrainingJobState(spec.JobId),
                new StartOrchestrationOptions(spec.JobId), cancellationToken);
        }
        catch (Exception)
        {
            // The caller is told the create failed (503 when storage is down): leave no job behind in validating_files.
            // When even that delete fails, UnstartedJobReconciler fails the row with a reason once storage answers.
            await ForgetUnstartedAsync(spec.JobId);
            throw;
        }
        return job;
    }

    /// <summary>Deletes the row of a job whose orchestration could not be started, unless it started after all.</summary>
    private async Task ForgetUnstartedAsync(string jobId)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            if (await client.GetInstanceAsync(jobId, limit.Token) is null) await store.DeleteAsync(jobId, limit.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Storage is still away: the reconciler settles the row later.
        }
    }

    /// <summary>Asks a running job to pause after its current step; fails before the first step has run.</summary>
    public async Task<FineTuningJobObject> PauseAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var job = await RequireAsync(jobId, cancellationToken);
        if (job.Status != JobStatus.Running) throw new InvalidOperationException($"job {jobId} is {job.Status}; only a running job can be paused");
        if (job.TrainedSteps < 1) throw new InvalidOperationException($"job {jobId} has not completed a step yet; pause is allowed after the first step");
        await client.RaiseEventAsync(jobId, TrainingJobOrchestrator.ControlEvent, "pause", cancellationToken);
        return job;
    }

    /// <summary>Resumes a paused job (returned as queued, as OpenAI does).</summary>
    public Task<FineTuningJobObject> ResumeAsync(string jobId, CancellationToken cancellationToken = default) =>
        ResumeAsync(jobId, null, cancellationToken);

    /// <summary>Resumes a paused job under a new compute budget (null keeps the job's; a job paused by its budget
    /// then continues with one more allowance of the same size).</summary>
    public async Task<FineTuningJobObject> ResumeAsync(string jobId, Training.Config.ComputeBudget? budget, CancellationToken cancellationToken = default)
    {
        var job = await RequireAsync(jobId, cancellationToken);
        if (job.Status != JobStatus.Paused) throw new InvalidOperationException($"job {jobId} is {job.Status}; only a paused job can be resumed");
        if (budget is not null && budget.Validate().FirstOrDefault() is { } problem) throw new ArgumentException(problem, nameof(budget));
        await client.RaiseEventAsync(jobId, TrainingJobOrchestrator.ControlEvent, new ControlCommand(ControlCommand.Resume, budget).ToPayload(), cancellationToken);
        return job with { Status = JobStatus.Queued };
    }

    /// <summary>Cancels a job gracefully (between steps); a job still validating is terminated at once.</summary>
    public async Task<FineTuningJobObject> CancelAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var job = await RequireAsync(jobId, cancellationToken);
        if (JobStatus.IsTerminal(job.Status)) throw new InvalidOperationException($"job {jobId} is already {job.Status}");
        await client.RaiseEventAsync(jobId, TrainingJobOrchestrator.ControlEvent, "cancel", cancellationToken);
        // After the event: a running step that sees the marker stops, and the orchestration then finds the event.
        await JobCancellation.RequestAsync(store, jobId, cancellationToken);
        return job;
    }

    private async Task<FineTuningJobObject> RequireAsync(string jobId, CancellationToken cancellationToken) =>
        await store.GetAsync(jobId, cancellationToken) ?? throw new KeyNotFoundException($"no fine-tuning job '{jobId}'");
}
