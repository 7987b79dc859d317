namespace RftFunctions.Durable.Replay;

/// <summary>The kinds of events in an orchestration's history (DurableTask.Core's names).</summary>
internal enum EventType
{
    ExecutionStarted,
    ExecutionCompleted,
    ExecutionTerminated,
    ExecutionSuspended,
    ExecutionResumed,
    ContinueAsNew,
    OrchestratorStarted,
    OrchestratorCompleted,
    TaskScheduled,
    TaskCompleted,
    TaskFailed,
    TimerCreated,
    TimerFired,
    SubOrchestrationInstanceCreated,
    SubOrchestrationInstanceCompleted,
    SubOrchestrationInstanceFailed,
    EventSent,
    EventRaised,
}

/// <summary>
/// One history event. A single flat shape for every kind keeps the History table's columns and the queue messages
/// simple; each kind uses the fields its comment names.
/// </summary>
internal sealed record HistoryEvent(EventType EventType)
{
    /// <summary>Sequence id of a scheduled action (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated, EventSent); -1 otherwise.</summary>
    public int EventId { get; init; } = -1;

    /// <summary>When the event happened (OrchestratorStarted: the episode time all replays see).</summary>
    public DateTime Timestamp { get; init; }

    /// <summary>Orchestrator, activity or event name.</summary>
    public string? Name { get; init; }

    /// <summary>Input (ExecutionStarted, TaskScheduled, sub-orchestration, event payload, terminate output).</summary>
    public string? Input { get; init; }

    /// <summary>Result of a task, sub-orchestration or execution.</summary>
    public string? Result { get; init; }

    /// <summary>The scheduled action a completion refers to (tasks and sub-orchestrations).</summary>
    public int TaskScheduledId { get; init; } = -1;

    /// <summary>The timer a TimerFired refers to.</summary>
    public int TimerId { get; init; } = -1;

    /// <summary>When a timer fires, or when a scheduled start begins.</summary>
    public DateTime? FireAt { get; init; }

    /// <summary>Why a task, sub-orchestration or execution failed.</summary>
    public FailureDetails? FailureDetails { get; init; }

    /// <summary>Execution id (ExecutionStarted; also stamped on messages bound to one execution).</summary>
    public string? ExecutionId { get; init; }

    /// <summary>Child instance id (SubOrchestrationInstanceCreated) or target instance id (EventSent).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Worker pool of a TaskScheduled.</summary>
    public string? Pool { get; init; }

    /// <summary>Parent instance of a sub-orchestration's ExecutionStarted.</summary>
    public string? ParentInstanceId { get; init; }

    /// <summary>Parent orchestrator name of a sub-orchestration's ExecutionStarted.</summary>
    public string? ParentName { get; init; }

    /// <summary>Parent's execution id, so the child's result is matched to the right parent execution.</summary>
    public string? ParentExecutionId { get; init; }

    /// <summary>Final status of ExecutionCompleted.</summary>
    public OrchestrationRuntimeStatus? Status { get; init; }

    /// <summary>Terminate: also terminate running sub-orchestrations.</summary>
    public bool Recursive { get; init; }

    /// <summary>Events carried into a new execution by ContinueAsNew (on its ExecutionStarted message only).</summary>
    public IReadOnlyList<HistoryEvent>? CarriedEvents { get; init; }

    /// <summary>True for events that refer to an earlier scheduled action.</summary>
    public bool IsCompletion => EventType is EventType.TaskCompleted or EventType.TaskFailed or EventType.TimerFired
        or EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed;

    /// <summary>The scheduled action id a completion refers to.</summary>
    public int CompletedActionId => EventType == EventType.TimerFired ? TimerId : TaskScheduledId;

    /// <summary>True for events that record an action the orchestrator scheduled.</summary>
    public bool IsScheduledAction => EventType is EventType.TaskScheduled or EventType.TimerCreated
        or EventType.SubOrchestrationInstanceCreated or EventType.EventSent;
}
