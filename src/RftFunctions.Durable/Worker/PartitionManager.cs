using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using RftFunctions.Durable.AzureStorage;

namespace RftFunctions.Durable.Worker;

/// <summary>
/// Table-based partition leases (DurableTask.AzureStorage's table partition manager): one row per control queue with
/// Owner, NextOwner, OwnedSince, ExpiresAt, all ETag-guarded, plus one heartbeat row per worker. Each round a worker
/// renews its leases, takes free or expired ones up to its fair share (partitions / live workers, rounded up), and asks
/// an over-loaded worker for one by setting NextOwner; that worker drains the partition and releases it.
/// Only the owner of a partition processes its control queue.
/// </summary>
internal sealed class PartitionManager(TaskHub hub, string workerId, ILogger logger, Func<PartitionSession, CancellationToken, Task> runPartition)
{
    private const string LeasePartition = "lease";
    private const string WorkerPartition = "worker";
    private readonly Dictionary<int, (CancellationTokenSource Stop, Task Loop, PartitionSession Session)> _owned = [];

    public IReadOnlyCollection<int> OwnedPartitions
    {
        get
        {
            lock (_owned) return [.. _owned.Keys];
        }
    }

    private TimeSpan LeaseInterval => hub.Options.StorageProvider.LeaseInterval;

    private static string LeaseKey(int partition) => string.Create(CultureInfo.InvariantCulture, $"control-{partition:00}");

    public async Task RunAsync(CancellationToken stopping)
    {
        for (int p = 0; p < hub.ControlQueues.Length; p++)
        {
            try
            {
                await hub.Partitions.AddEntityAsync(new TableEntity(LeasePartition, LeaseKey(p)) { ["Owner"] = "", ["NextOwner"] = "", ["ExpiresAt"] = DateTimeOffset.MinValue.AddYears(2000) }, stopping).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                // Another worker created it.
            }
        }
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await BalanceAsync(stopping).ConfigureAwait(false);
                }
                catch (RequestFailedException ex)
                {
                    logger.LogWarning(ex, "Partition balancing on worker {WorkerId} failed; retrying", workerId);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                try
                {
                    await Task.Delay(hub.Options.StorageProvider.LeaseRenewInterval, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            await ReleaseAllAsync().ConfigureAwait(false);
        }
    }

    private async Task BalanceAsync(CancellationToken stopping)
    {
        var now = DateTimeOffset.UtcNow;
        await hub.Partitions.UpsertEntityAsync(new TableEntity(WorkerPartition, workerId) { ["LastSeen"] = now }, TableUpdateMode.Replace, stopping).ConfigureAwait(false);
        var live = new HashSet<string>(StringComparer.Ordinal) { workerId };
        await foreach (var w in hub.Partitions.QueryAsync<TableEntity>(e => e.PartitionKey == WorkerPartition, cancellationToken: stopping).ConfigureAwait(false))
        {
            if (w.GetDateTimeOffset("LastSeen") > now - LeaseInterval) live.Add(w.RowKey);
        }
        var leases = new List<TableEntity>();
        await foreach (var l in hub.Partitions.QueryAsync<TableEntity>(e => e.PartitionKey == LeasePartition, cancellationToken: stopping).ConfigureAwait(false)) leases.Add(l);
        int target = (int)Math.Ceiling(hub.ControlQueues.Length / (double)live.Count);

        foreach (var lease in leases)
        {
            var partition = int.Parse(lease.RowKey.AsSpan(8), CultureInfo.InvariantCulture);
            var owner = lease.GetString("Owner") ?? "";
            if (owner != workerId)
            {
                if (IsOwned(partition)) await StopAsync(partition).ConfigureAwait(false); // taken over while we were away
                continue;
            }
            var next = lease.GetString("NextOwner") ?? "";
            if (next.Length > 0 && next != workerId && live.Contains(next) && OwnedPartitions.Count > target)
            {
                await StopAsync(partition).ConfigureAwait(false);
                await TryUpdateAsync(lease, "", "", DateTimeOffset.UtcNow, stopping).ConfigureAwait(false);
                logger.LogInformation("Worker {WorkerId} released partition {Partition} to {NextOwner}", workerId, partition, next);
                continue;
            }
            var expiresAt = DateTimeOffset.UtcNow + LeaseInterval;
            if (!await TryUpdateAsync(lease, workerId, next, expiresAt, stopping).ConfigureAwait(false))
            {
                await StopAsync(partition).ConfigureAwait(false);
                continue;
            }
            if (SessionOf(partition) is { } session) session.Renewed(expiresAt);
            else Start(partition, expiresAt); // e.g. after a restart with the same worker id
        }

        foreach (var lease in leases)
        {
            if (OwnedPartitions.Count >= target) break;
            var owner = lease.GetString("Owner") ?? "";
            var expired = lease.GetDateTimeOffset("ExpiresAt") is not { } expires || expires < now;
            if (owner == workerId || !(owner.Length == 0 || expired)) continue;
            var partition = int.Parse(lease.RowKey.AsSpan(8), CultureInfo.InvariantCulture);
            var expiresAt = DateTimeOffset.UtcNow + LeaseInterval;
            if (await TryUpdateAsync(lease, workerId, "", expiresAt, stopping, ownedSince: DateTimeOffset.UtcNow).ConfigureAwait(false))
            {
                logger.LogInformation("Worker {WorkerId} acquired partition {Partition} (previous owner '{Owner}')", workerId, partition, owner);
                Start(partition, expiresAt);
            }
        }

        if (OwnedPartitions.Count < target)
        {
            // Ask the most loaded live worker above its fair share for one partition.
            var victim = leases.Where(l => (l.GetString("Owner") ?? "") is { Length: > 0 } o && o != workerId && live.Contains(o) && string.IsNullOrEmpty(l.GetString("NextOwner")))
                .GroupBy(l => l.GetString("Owner")!)
                .Where(g => leases.Count(l => l.GetString("Owner") == g.Key) > target)
                .OrderByDescending(g => g.Count())
                .FirstOrDefault()?.First();
            if (victim is not null)
            {
                victim["NextOwner"] = workerId;
                try
                {
                    await hub.Partitions.UpdateEntityAsync(victim, victim.ETag, TableUpdateMode.Replace, stopping).ConfigureAwait(false);
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412)
                {
                    // Changed meanwhile; next round.
                }
            }
        }
    }

    private async Task<bool> TryUpdateAsync(TableEntity lease, string owner, string next, DateTimeOffset expiresAt, CancellationToken stopping, DateTimeOffset? ownedSince = null)
    {
        lease["Owner"] = owner;
        lease["NextOwner"] = next;
        lease["ExpiresAt"] = expiresAt;
        lease["LastRenewal"] = DateTimeOffset.UtcNow;
        if (ownedSince is { } since) lease["OwnedSince"] = since;
        try
        {
            await hub.Partitions.UpdateEntityAsync(lease, lease.ETag, TableUpdateMode.Replace, stopping).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    private bool IsOwned(int partition)
    {
        lock (_owned) return _owned.ContainsKey(partition);
    }

    private PartitionSession? SessionOf(int partition)
    {
        lock (_owned) return _owned.TryGetValue(partition, out var entry) ? entry.Session : null;
    }

    private void Start(int partition, DateTimeOffset leaseExpiresAt)
    {
        var stop = new CancellationTokenSource();
        var session = new PartitionSession(partition, leaseExpiresAt, LeaseInterval);
        lock (_owned) _owned[partition] = (stop, runPartition(session, stop.Token), session);
    }

    private async Task StopAsync(int partition)
    {
        (CancellationTokenSource Stop, Task Loop, PartitionSession Session) entry;
        lock (_owned)
        {
            if (!_owned.Remove(partition, out entry)) return;
        }
        await entry.Stop.CancelAsync().ConfigureAwait(false);
        await entry.Loop.ConfigureAwait(false);
        entry.Stop.Dispose();
        logger.LogInformation("Worker {WorkerId} stopped processing partition {Partition}", workerId, partition);
    }

    private async Task ReleaseAllAsync()
    {
        foreach (var partition in OwnedPartitions) await StopAsync(partition).ConfigureAwait(false);
        try
        {
            await foreach (var lease in hub.Partitions.QueryAsync<TableEntity>(e => e.PartitionKey == LeasePartition).ConfigureAwait(false))
            {
                if (lease.GetString("Owner") == workerId) await TryUpdateAsync(lease, "", "", DateTimeOffset.UtcNow, CancellationToken.None).ConfigureAwait(false);
            }
            await hub.Partitions.DeleteEntityAsync(WorkerPartition, workerId, ETag.All).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning(ex, "Worker {WorkerId} could not release its leases; they expire on their own", workerId);
        }
    }
}
