namespace RftFunctions.Durable.Worker;

/// <summary>
/// One uninterrupted holding of a control-queue partition by this worker. Only the lease holder writes the histories
/// of the partition's instances, so a history this worker committed during the session is still current while the
/// lease is surely held: the lease was renewed recently enough that no other worker can have taken it, even with some
/// clock skew. Extended sessions reuse such a history without reading storage; the history write's ETag condition
/// still rejects an episode if that reasoning ever fails (e.g. a process paused past its lease).
/// </summary>
internal sealed class PartitionSession(int partition, DateTimeOffset leaseExpiresAt, TimeSpan leaseInterval)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _tails = new(StringComparer.Ordinal);
    private long _leaseExpiresTicks = leaseExpiresAt.UtcTicks;

    public int Partition => partition;

    /// <summary>Records a successful renewal of the lease.</summary>
    public void Renewed(DateTimeOffset expiresAt) => Interlocked.Exchange(ref _leaseExpiresTicks, expiresAt.UtcTicks);

    /// <summary>
    /// True while the lease has at least half its interval left: another worker takes a lease only once it has
    /// expired by its own clock, so that half is the margin for clock skew and for a pause between this check and
    /// the episode's writes.
    /// </summary>
    public bool LeaseSurelyHeld(DateTimeOffset now) => now.UtcTicks + leaseInterval.Ticks / 2 < Interlocked.Read(ref _leaseExpiresTicks);

    /// <summary>The instance's unfinished episode tail (instance row and message deletes), or a completed task.</summary>
    public Task TailOf(string instanceId) => _tails.TryGetValue(instanceId, out var tail) ? tail : Task.CompletedTask;

    /// <summary>Tracks an episode's tail until it finishes (it must not throw).</summary>
    public void TrackTail(string instanceId, Task tail)
    {
        _tails[instanceId] = tail;
        _ = tail.ContinueWith(t => _tails.TryRemove(KeyValuePair.Create(instanceId, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits for every episode tail, before the partition is given up.</summary>
    public Task DrainAsync() => Task.WhenAll(_tails.Values);
}
