namespace RftFunctions.Functions.Durable;

/// <summary>
/// Signals activities that their worker is stopping. The SDK's activity context carries no cancellation token, so
/// long activities (a rollout, a policy update) watch this instead: they stop early and their work item is
/// redelivered (activities are idempotent). Tied to the host's ApplicationStopping when there is a host, and signalled
/// by the self-hosted worker when it stops.
/// </summary>
public sealed class WorkerShutdown : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>A signal of its own (no host: tests, benchmarks).</summary>
    public WorkerShutdown()
    {
    }

    /// <summary>Follows the host's ApplicationStopping.</summary>
    public WorkerShutdown(IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        lifetime.ApplicationStopping.Register(Signal);
    }

    /// <summary>Cancelled when the worker stops.</summary>
    public CancellationToken Token => _stopping.Token;

    /// <summary>Tells running activities to stop.</summary>
    public void Signal()
    {
        try
        {
            _stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Stopped after disposal: nothing runs any more.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stopping.Dispose();
}
