using RftFunctions.Durable.Replay;

namespace RftFunctions.Durable;

/// <summary>Turns stored history events into the public <see cref="OrchestrationHistoryEvent"/>, each field only where its kind means something.</summary>
internal static class HistoryEventMapping
{
    public static OrchestrationHistoryEvent ToPublic(HistoryEvent e)
    {
        var type = e.EventType;
        return new OrchestrationHistoryEvent(e.EventId, type.ToString(), Utc(e.Timestamp))
        {
            // Completions carry the scheduled name only on some paths, and TimerCreated's is a placeholder; keep the
            // name where upstream has one.
            Name = type is EventType.ExecutionStarted or EventType.TaskScheduled or EventType.SubOrchestrationInstanceCreated
                or EventType.EventRaised or EventType.EventSent ? e.Name : null,
            ScheduledTaskId = e.IsCompletion ? e.CompletedActionId : null,
            Input = type is EventType.ExecutionStarted or EventType.TaskScheduled or EventType.SubOrchestrationInstanceCreated
                or EventType.EventRaised or EventType.EventSent or EventType.ExecutionTerminated
                or EventType.ExecutionSuspended or EventType.ExecutionResumed ? e.Input : null,
            Result = type is EventType.TaskCompleted or EventType.SubOrchestrationInstanceCompleted or EventType.ExecutionCompleted ? e.Result : null,
            OrchestrationStatus = type == EventType.ExecutionCompleted ? e.Status : null,
            FailureDetails = e.FailureDetails,
            FireAt = e.FireAt is { } at ? Utc(at) : null,
            InstanceId = type is EventType.SubOrchestrationInstanceCreated or EventType.EventSent ? e.InstanceId : null,
        };
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));
}
