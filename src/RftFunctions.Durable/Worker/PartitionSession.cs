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
}
