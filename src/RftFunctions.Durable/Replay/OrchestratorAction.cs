namespace RftFunctions.Durable.Replay;

/// <summary>A durable call made by orchestrator code; once matched or committed it becomes a history event.</summary>
internal sealed record OrchestratorAction(EventType Kind, int Id, string Name)
{
    public string? Input { get; init; }

    public DateTime? FireAt { get; init; }

    public string? InstanceId { get; init; }

    public string? Pool { get; init; }

    /// <summary>The history event that records this action.</summary>
    public HistoryEvent ToHistoryEvent(DateTime timestamp) => new(Kind)
    {
        EventId = Id,
        Timestamp = timestamp,
        Name = Name,
        Input = Input,
        FireAt = FireAt,
        InstanceId = InstanceId,
        Pool = Pool,
    };
}

/// <summary>How an execution ended in this episode, if it did.</summary>
internal sealed record ExecutionCompletion(OrchestrationRuntimeStatus Status)
{
    public string? Output { get; init; }

    public FailureDetails? FailureDetails { get; init; }

    /// <summary>Set when the orchestration continued as new: its new input.</summary>
    public bool IsContinueAsNew { get; init; }

    /// <summary>EventRaised events carried into the new execution.</summary>
    public IReadOnlyList<HistoryEvent> CarriedEvents { get; init; } = [];
}

/// <summary>What one episode produced.</summary>
internal sealed record ExecutionResult(IReadOnlyList<OrchestratorAction> NewActions, ExecutionCompletion? Completion, string? CustomStatus, bool IsSuspended);
