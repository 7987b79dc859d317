using System.Collections.Concurrent;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>
/// In-process wake-ups: when this process sends a message to a queue its own poller watches, the poller wakes at once
/// instead of waiting out its back-off. Other processes still find the message by polling.
/// </summary>
internal static class LocalQueueSignals
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Signals = new(StringComparer.Ordinal);

    private static SemaphoreSlim For(string account, string queue) => Signals.GetOrAdd(account + "|" + queue, _ => new SemaphoreSlim(0, 1));

    /// <summary>Wakes the poller of the queue if it sleeps.</summary>
    public static void Signal(string account, string queue)
    {
        var signal = For(account, queue);
        try
        {
            if (signal.CurrentCount == 0) signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    /// <summary>Waits up to <paramref name="delay"/> or until the queue is signalled.</summary>
    public static Task WaitAsync(string account, string queue, TimeSpan delay, CancellationToken cancellationToken) =>
        For(account, queue).WaitAsync(delay, cancellationToken);
}

/// <summary>Polling back-off: short sleeps while messages flow, doubling up to the maximum while idle.</summary>
internal sealed class PollingBackoff(TimeSpan maximum)
{
    private static readonly TimeSpan Minimum = TimeSpan.FromMilliseconds(10);
    private TimeSpan _next = Minimum;

    public void Reset() => _next = Minimum;

    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(maximum.Ticks, _next.Ticks * 2));
        return current < maximum ? current : maximum;
    }
}
