namespace RftFunctions.Durable;

/// <summary>
/// One event of an instance's history as a client sees it (durabletask-dotnet's <c>OrchestrationHistoryEvent</c>):
/// the current execution's events in the order they were recorded, episode markers included.
/// </summary>
/// <param name="EventId">The sequence id of a scheduled action (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated, EventSent); -1 for other events.</param>
/// <param name="EventType">DurableTask.Core's event type name, e.g. <c>TaskScheduled</c> or <c>ExecutionCompleted</c>.</param>
/// <param name="Timestamp">When the event was recorded (an episode's events share the episode time).</param>
public sealed record OrchestrationHistoryEvent(int EventId, string EventType, DateTimeOffset Timestamp)
{
    /// <summary>The orchestrator (ExecutionStarted, SubOrchestrationInstanceCreated), activity (TaskScheduled) or event (EventRaised, EventSent) name.</summary>
    public string? Name { get; init; }

    /// <summary>The <see cref="EventId"/> of the action a completion (TaskCompleted/Failed, TimerFired, SubOrchestrationInstanceCompleted/Failed) refers to.</summary>
    public int? ScheduledTaskId { get; init; }

    /// <summary>The JSON input: orchestration, activity, sub-orchestration or event payload, terminate output; the reason of a suspend or resume.</summary>
    public string? Input { get; init; }

    /// <summary>The JSON result of a completed activity, sub-orchestration or execution.</summary>
    public string? Result { get; init; }

    /// <summary>The final status, on ExecutionCompleted.</summary>
    public OrchestrationRuntimeStatus? OrchestrationStatus { get; init; }

    /// <summary>Why an activity, sub-orchestration or execution failed.</summary>
    public FailureDetails? FailureDetails { get; init; }

    /// <summary>When a timer fires (TimerCreated, TimerFired) or a scheduled start begins (ExecutionStarted).</summary>
    public DateTimeOffset? FireAt { get; init; }

    /// <summary>The sub-orchestration's id (SubOrchestrationInstanceCreated) or the event's target (EventSent).</summary>
    public string? InstanceId { get; init; }
}

/// <summary>What <see cref="DurableTaskClient.GetInstanceAsync(string, GetInstanceOptions, CancellationToken)"/> fetches besides the status.</summary>
public sealed class GetInstanceOptions
{
    /// <summary>Fetch the input, output and custom status.</summary>
    public bool GetInputsAndOutputs { get; set; }

    /// <summary>Fetch the current execution's history into <see cref="OrchestrationMetadata.History"/> (reads every history row: costly for long histories).</summary>
    public bool GetHistory { get; set; }
}
