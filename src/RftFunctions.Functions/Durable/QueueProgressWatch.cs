using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// The engine's progress as seen from storage (issue 22: "a loop that has not made progress it should have made"). The
/// engine's receive loops are DurableTask's and cannot beat for us, but their job is visible: a message that stays
/// visible in a queue this worker should be reading has not been read. Every look peeks the hub's work-item queue (when
/// this worker has a free activity slot) and the control queues whose partitions this worker owns or nobody owns (the
/// partition table, <c>{hub}Partitions</c>); a message seen visible with the same dequeue count for longer than <see cref="StallAfter"/>
/// is a stall. Messages in flight are invisible, and a message returned and taken again changes its dequeue count, so
/// neither long activities nor retries look stuck.
/// </summary>
public sealed class QueueProgressWatch(StorageAccount account, TaskHubOptions options, string workerId, ActivityGauge activities)
{
    private readonly Dictionary<string, (long DequeueCount, DateTime FirstSeen)> _visible = new(StringComparer.Ordinal);
    private readonly QueueServiceClient _queues = account.CreateQueueServiceClient();
    private readonly TableClient _partitions = account.CreateTableServiceClient().GetTableClient(options.HubName + "Partitions");

    /// <summary>How long a message may stay visible, unread, before the watch calls it a stall (default 60 s).</summary>
    public TimeSpan StallAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>One look; returns a description of the stall, or null when the engine reads its queues.</summary>
    public async Task<string?> LookAsync(DateTime now, CancellationToken cancellationToken)
    {
        var hub = options.HubName.ToLowerInvariant();
        var queues = new List<string>();
        if (activities.Running < options.MaxConcurrentActivityFunctions) queues.Add($"{hub}-workitems");
        try
        {
            await foreach (var lease in _partitions.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
            {
                // Ours, or nobody's: every live worker takes free partitions, so a queue left without an owner is
                // unread because this worker's partition loop is not doing its part either.
                var owner = lease.GetString("CurrentOwner");
                var expires = lease.GetDateTimeOffset("ExpiresAt");
                bool free = string.IsNullOrEmpty(owner) || (expires is { } e && e.UtcDateTime < now);
                if (free || string.Equals(owner, workerId, StringComparison.Ordinal)) queues.Add(lease.RowKey);
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // no partition table yet: the engine has not started on this hub
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? stall = null;
        foreach (var name in queues)
        {
            PeekedMessage[] messages;
            try
            {
                messages = (await _queues.GetQueueClient(name).PeekMessagesAsync(32, cancellationToken)).Value;
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                continue; // not created yet
            }
            foreach (var message in messages)
            {
                var key = name + "/" + message.MessageId;
                seen.Add(key);
                if (!_visible.TryGetValue(key, out var first) || first.DequeueCount != message.DequeueCount)
                {
                    _visible[key] = (message.DequeueCount, now);
                    continue;
                }
                if (stall is null && now - first.FirstSeen > StallAfter)
                {
                    stall = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"a message has waited unread in {name} for {(now - first.FirstSeen).TotalSeconds:F0} s while this worker owns the queue and has room");
                }
            }
        }
        foreach (var key in _visible.Keys.Where(k => !seen.Contains(k)).ToList()) _visible.Remove(key);
        return stall;
    }
}

/// <summary>How many activities this worker runs right now (the watch only expects it to read work items when it has room).</summary>
public sealed class ActivityGauge
{
    private int _running;

    /// <summary>Activities running now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Counts one activity while it runs.</summary>
    public IDisposable Enter()
    {
        Interlocked.Increment(ref _running);
        return new Exit(this);
    }

    private sealed class Exit(ActivityGauge gauge) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref gauge._running);
        }
    }
}
