namespace RftFunctions.Functions.Jobs;

/// <summary>Where jobs live: one blob container and three tables (names overridable so tests stay isolated), and what
/// a worker allows a job's step (<c>Rft:Jobs:*</c>).</summary>
public sealed record JobStorageOptions
{
    /// <summary>Blob container for specs, steps, trainer states, checkpoints and final models.</summary>
    public string Container { get; init; } = "jobs";

    /// <summary>One row per job.</summary>
    public string JobsTable { get; init; } = "Jobs";

    /// <summary>The ordered, paginable event log (PartitionKey = job id).</summary>
    public string EventsTable { get; init; } = "JobEvents";

    /// <summary>Where workers keep downloaded base models; empty means a folder under the temp directory.</summary>
    public string BaseModelCacheDirectory { get; init; } = "";

    /// <summary>Kept checkpoints (PartitionKey = job id).</summary>
    public string CheckpointsTable { get; init; } = "Checkpoints";

    /// <summary>
    /// The memory one rollout or policy-update step may need, in bytes, as estimated before it starts
    /// (<see cref="Orchestrations.StepMemoryGuard"/>); a step over it fails its job with a clear error instead of
    /// taking the worker down. 0 (the default) means 80% of the memory available to the process.
    /// </summary>
    public long StepMemoryBudgetBytes { get; init; }
}
