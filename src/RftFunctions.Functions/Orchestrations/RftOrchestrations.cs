using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>The training orchestrations and activities, and the services they need.</summary>
public static class RftOrchestrations
{
    /// <summary>The job orchestration (instance id = job id).</summary>
    public const string TrainingJob = "TrainingJob";

    /// <summary>The validation sub-orchestration.</summary>
    public const string Validation = "Validation";

    /// <summary>Files, grader and model checks.</summary>
    public const string ValidateJob = "ValidateJob";

    /// <summary>A shard's sampling (on the worker's device, one at a time per device) and then its grading (CPU).</summary>
    public const string RolloutAndGrade = "RolloutAndGrade";

    /// <summary>The policy update (on the worker's device; one trainer per job).</summary>
    public const string PolicyUpdate = "PolicyUpdate";

    /// <summary>Metrics event.</summary>
    public const string RecordMetrics = "RecordMetrics";

    /// <summary>Status change + message event.</summary>
    public const string RecordJobStatus = "RecordJobStatus";

    /// <summary>Checkpoint + best-k pruning.</summary>
    public const string Checkpoint = "Checkpoint";

    /// <summary>Final model + succeeded.</summary>
    public const string Finalize = "Finalize";

    /// <summary>
    /// Retries for the step's activities: they are idempotent (outputs keyed by their inputs), so a transient storage
    /// error or a worker that stopped mid-activity costs a retry, not the job. Deterministic failures (a bad dataset)
    /// still fail the job after the last attempt; a cancelled job's step and a step too big for the worker's memory
    /// (<see cref="JobCancellation"/>, <see cref="StepMemoryGuard"/>) end at once, as retrying cannot change them.
    /// </summary>
    public static TaskOptions Retry { get; } = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2.0)
    {
        HandleFailure = f => !JobCancellation.IsCancellation(f) && f.ErrorType != typeof(StepMemoryException).FullName,
    });

    /// <summary>Adds every orchestrator and activity of RFT training to <paramref name="catalog"/>.</summary>
    public static TaskCatalog Register(TaskCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        CheckpointEvaluation.Register(catalog);
        return catalog
            .AddOrchestrator<TrainingJobOrchestrator>(TrainingJob)
            .AddOrchestrator<ValidationOrchestrator>(Validation)
            .AddActivity<ValidateJobActivity>(ValidateJob)
            .AddActivity<RolloutAndGradeActivity>(RolloutAndGrade)
            .AddActivity<PolicyUpdateActivity>(PolicyUpdate)
            .AddActivity<RecordMetricsActivity>(RecordMetrics)
            .AddActivity<RecordJobStatusActivity>(RecordJobStatus)
            .AddActivity<CheckpointActivity>(Checkpoint)
            .AddActivity<FinalizeActivity>(Finalize);
    }

    /// <summary>
    /// Adds the job store, the per-process job workspace (caches of models and trainers) and the job service. Needs a
    /// <see cref="Storage.StorageAccount"/> singleton (and a <see cref="Microsoft.DurableTask.Client.DurableTaskClient"/> for <see cref="TrainingJobService"/>).
    /// </summary>
    public static IServiceCollection AddRftTraining(this IServiceCollection services, JobStorageOptions? options = null, GraderServices? graderServices = null)
    {
        services.TryAddSingleton(options ?? new JobStorageOptions());
        services.TryAddSingleton(graderServices ?? GraderServices.None);
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<BaseModelCache>();
        services.TryAddSingleton<FineTunedModels>();
        // The host registers the configured Rft:Device first; in-process users (tests, bench) get the CPU.
        services.TryAddSingleton(RftFunctions.Model.ComputeDevice.Cpu);
        services.TryAddSingleton<JobWorkspace>();
        // Activities stop early when their worker stops (the SDK's activity context has no token).
        services.TryAddSingleton<RftFunctions.Functions.Durable.WorkerShutdown>();
        // Judges, embeddings and endpoints (unconfigured unless the API registered Rft:Grading first).
        Grading.GradingRegistration.AddRftGrading(services);
        services.TryAddSingleton<TrainingJobService>();
        return services;
    }
}
