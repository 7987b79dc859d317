namespace RftFunctions.Durable.Replay;

/// <summary>
/// Runs orchestrator continuations one at a time on the replaying thread, in the order they were posted, so a replay
/// takes exactly the same path as the original run.
/// </summary>
internal sealed class OrchestrationSynchronizationContext : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _work = new();
    private readonly Lock _lock = new();

    public override void Post(SendOrPostCallback d, object? state)
    {
        lock (_lock) _work.Enqueue((d, state));
    }

    public override void Send(SendOrPostCallback d, object? state) => d(state);

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs posted work until none is left.</summary>
    public void Drain()
    {
        while (true)
        {
            (SendOrPostCallback Callback, object? State) item;
            lock (_lock)
            {
                if (!_work.TryDequeue(out item)) return;
            }
            item.Callback(item.State);
        }
    }
}
