namespace RftFunctions.Durable;

/// <summary>
/// Thrown into orchestrator code when an activity or sub-orchestration it awaited failed (including poison messages
/// and exhausted retries). <see cref="FailureDetails"/> says why.
/// </summary>
public class TaskFailedException : Exception
{
    /// <summary>Creates the exception for the task <paramref name="taskName"/> with sequence id <paramref name="taskId"/>.</summary>
    public TaskFailedException(TaskName taskName, int taskId, FailureDetails failureDetails)
        : base($"Task '{taskName}' (#{taskId}) failed with an unhandled exception: {failureDetails.ErrorMessage}")
    {
        TaskName = taskName;
        TaskId = taskId;
        FailureDetails = failureDetails;
    }

    /// <summary>The failed task's name.</summary>
    public TaskName TaskName { get; }

    /// <summary>The failed task's sequence id in the orchestration.</summary>
    public int TaskId { get; }

    /// <summary>Why the task failed.</summary>
    public FailureDetails FailureDetails { get; }
}

/// <summary>The orchestrator's code no longer matches its recorded history (a non-deterministic change).</summary>
public sealed class NonDeterministicOrchestrationException(int sequenceId, string message)
    : Exception($"Non-deterministic orchestration detected at sequence id {sequenceId}: {message}")
{
    /// <summary>The sequence id at which code and history disagree.</summary>
    public int SequenceId { get; } = sequenceId;
}

/// <summary>An instance with this id already exists and is still running.</summary>
public sealed class OrchestrationAlreadyExistsException(string instanceId, OrchestrationRuntimeStatus status)
    : InvalidOperationException($"Orchestration instance '{instanceId}' already exists with status {status}.");
