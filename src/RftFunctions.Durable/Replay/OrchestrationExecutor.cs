namespace RftFunctions.Durable.Replay;

/// <summary>
/// Replays an orchestration's history through its code and then applies the episode's new events, producing the new
/// actions and, when the code finished, the completion. Pure CPU work: no I/O happens here.
/// </summary>
internal static class OrchestrationExecutor
{
    /// <summary>Runs one episode.</summary>
    /// <param name="orchestrator">The orchestrator code.</param>
    /// <param name="past">History already committed (replayed with IsReplaying = true).</param>
    /// <param name="newEvents">This episode's events, starting with its OrchestratorStarted.</param>
    /// <param name="registry">Looks up activity pools.</param>
    /// <param name="loggerFactory">For replay-safe loggers.</param>
    public static ExecutionResult Execute(
        ITaskOrchestrator orchestrator,
        IReadOnlyList<HistoryEvent> past,
        IReadOnlyList<HistoryEvent> newEvents,
        DurableTaskRegistry registry,
        Microsoft.Extensions.Logging.ILoggerFactory loggerFactory)
    {
        var syncContext = new OrchestrationSynchronizationContext();
        var context = new ReplayOrchestrationContext(orchestrator, registry, loggerFactory, syncContext);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(syncContext);
        try
        {
            context.IsReplayingValue = true;
            foreach (var e in past)
            {
                if (context.IsFinished) break;
                context.Apply(e, replaying: true);
            }
            context.IsReplayingValue = false;
            int applied = 0;
            for (; applied < newEvents.Count && !context.IsFinished; applied++)
            {
                context.Apply(newEvents[applied], replaying: false);
            }
            return context.BuildResult(newEvents.Skip(applied));
        }
        catch (NonDeterministicOrchestrationException ex)
        {
            return new ExecutionResult([], new ExecutionCompletion(OrchestrationRuntimeStatus.Failed) { FailureDetails = FailureDetails.FromException(ex) }, context.CustomStatus, false);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }
}
