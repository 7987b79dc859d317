using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using RftFunctions.Durable.Replay;
using RftFunctions.Storage;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>
/// One task hub's storage: control queues, per-pool work-item queues, the poison queue, the History, Instances and
/// Partitions tables and the large-message container, plus the addressing rules that route a message to the right queue.
/// </summary>
internal sealed class TaskHub
{
    private readonly QueueServiceClient _queues;
    private readonly Dictionary<string, QueueClient> _workItemQueues = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private volatile bool _created;

    public TaskHub(StorageAccount account, DurableTaskOptions options)
    {
        Options = options.Validate();
        Account = account.Description;
        _queues = account.CreateQueueServiceClient();
        var tables = account.CreateTableServiceClient();
        var blobs = account.CreateBlobServiceClient();
        var hub = options.HubName;
        ControlQueues = Enumerable.Range(0, options.StorageProvider.PartitionCount)
            .Select(i => _queues.GetQueueClient(TaskHubNames.ControlQueue(hub, i))).ToArray();
        PoisonQueue = _queues.GetQueueClient(TaskHubNames.PoisonQueue(hub));
        Payloads = new PayloadStore(blobs.GetBlobContainerClient(TaskHubNames.LargeMessagesContainer(hub)));
        History = new HistoryStore(tables.GetTableClient(TaskHubNames.HistoryTable(hub)), Payloads);
        Instances = new InstanceStore(tables.GetTableClient(TaskHubNames.InstancesTable(hub)), Payloads);
        Partitions = tables.GetTableClient(TaskHubNames.PartitionsTable(hub));
    }

    public DurableTaskOptions Options { get; }

    /// <summary>Identifies the account for in-process wake-ups.</summary>
    public string Account { get; }

    public QueueClient[] ControlQueues { get; }

    public QueueClient PoisonQueue { get; }

    public PayloadStore Payloads { get; }

    public HistoryStore History { get; }

    public InstanceStore Instances { get; }

    public TableClient Partitions { get; }

    public QueueClient WorkItemQueue(string pool)
    {
        lock (_lock)
        {
            if (!_workItemQueues.TryGetValue(pool, out var queue))
            {
                _workItemQueues[pool] = queue = _queues.GetQueueClient(TaskHubNames.WorkItemQueue(Options.HubName, pool));
            }
            return queue;
        }
    }

    public QueueClient ControlQueueFor(string instanceId) =>
        ControlQueues[TaskHubNames.PartitionOf(instanceId, ControlQueues.Length)];

    /// <summary>Creates every queue, table and container of the hub (idempotent).</summary>
    public async Task CreateIfNotExistsAsync(IEnumerable<string> pools, CancellationToken cancellationToken)
    {
        var work = new List<Task>
        {
            History.Table.CreateIfNotExistsAsync(cancellationToken),
            Instances.Table.CreateIfNotExistsAsync(cancellationToken),
            Partitions.CreateIfNotExistsAsync(cancellationToken),
            Payloads.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            PoisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
        };
        work.AddRange(ControlQueues.Select(q => q.CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        work.AddRange(pools.Append(DurableTaskRegistry.DefaultPool).Distinct().Select(p => WorkItemQueue(p).CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        await Task.WhenAll(work).ConfigureAwait(false);
        _created = true;
    }

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (!_created) await CreateIfNotExistsAsync([], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands messages to consumers in this worker (see <see cref="LocalDispatch"/>).</summary>
    public LocalDispatch Local { get; } = new();

    /// <summary>Sends an event to an instance's control queue, optionally invisible until <paramref name="delay"/> passes.</summary>
    public Task SendToInstanceAsync(string instanceId, HistoryEvent e, TimeSpan? delay, CancellationToken cancellationToken) =>
        SendToControlAsync(ControlQueueFor(instanceId), new TaskMessage(instanceId, e), delay, cancellationToken);

    /// <summary>Sends several activity results for one instance as a single control message.</summary>
    public Task SendResultsToInstanceAsync(string instanceId, IReadOnlyList<HistoryEvent> results, CancellationToken cancellationToken) =>
        SendToControlAsync(ControlQueueFor(instanceId), new TaskMessage(instanceId, results[0]) { Events = results.Count > 1 ? results : null }, null, cancellationToken);

    /// <summary>
    /// A control message for a partition this worker holds goes straight to the partition's loop (still stored, hidden);
    /// any other goes to the queue for whoever holds the partition.
    /// </summary>
    private async Task SendToControlAsync(QueueClient queue, TaskMessage message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        if (delay is { } d && d > TimeSpan.Zero || Local.Inbox(queue.Name) is not { } inbox)
        {
            await SendAsync(queue, message, delay, cancellationToken).ConfigureAwait(false);
            return;
        }
        // The partition's loop may start on the content while the send is still under way; the caller waits for it.
        message = message with { HandedOff = true };
        var stored = SendHiddenAsync(queue, message, Options.StorageProvider.ControlQueueVisibilityTimeout, cancellationToken);
        if (inbox.TryPost(new HandedOffMessage(message, stored)))
        {
            LocalQueueSignals.Signal(Account, queue.Name);
            await stored.ConfigureAwait(false);
            return;
        }
        // The partition was released meanwhile: its next owner must see the message now, not after the timeout.
        var raw = await stored.ConfigureAwait(false);
        await queue.UpdateMessageAsync(raw.MessageId, raw.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
        LocalQueueSignals.Signal(Account, queue.Name);
    }

    /// <summary>
    /// Sends activity invocations (one pool, one instance) to the pool's work-item queue as one message; when this
    /// worker serves the pool and has a free slot, the message is sent hidden and runs here at once.
    /// </summary>
    public async Task SendWorkItemsAsync(string instanceId, IReadOnlyList<HistoryEvent> invocations, CancellationToken cancellationToken)
    {
        var queue = WorkItemQueue(invocations[0].Pool ?? DurableTaskRegistry.DefaultPool);
        var message = new TaskMessage(instanceId, invocations[0]) { Events = invocations.Count > 1 ? invocations : null };
        if (Local.ReserveConsumer(queue.Name) is { } local)
        {
            // The activity starts while its work item is being stored; it settles nothing before the send returns.
            message = message with { HandedOff = true };
            var stored = CreatingQueueAsync(queue, () => SendHiddenAsync(queue, message, Options.StorageProvider.WorkItemQueueVisibilityTimeout, cancellationToken), cancellationToken);
            local.RunReserved(message, stored);
            await stored.ConfigureAwait(false);
            return;
        }
        await CreatingQueueAsync(queue, async () =>
        {
            await SendAsync(queue, message, null, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> CreatingQueueAsync<T>(QueueClient queue, Func<Task<T>> send, CancellationToken cancellationToken)
    {
        try
        {
            return await send().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // A pool no worker created yet: create its queue, then send.
            await queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return await send().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stores a message (marked <see cref="TaskMessage.HandedOff"/>) hidden for <paramref name="hidden"/> and returns it
    /// as a receive would (the send's pop receipt): the caller's consumer owns it; if this process dies, it reappears
    /// when the visibility runs out.
    /// </summary>
    private async Task<QueueMessage> SendHiddenAsync(QueueClient queue, TaskMessage message, TimeSpan hidden, CancellationToken cancellationToken)
    {
        var body = await message.EncodeAsync(Payloads, cancellationToken).ConfigureAwait(false);
        var receipt = (await queue.SendMessageAsync(body, hidden, TimeSpan.FromSeconds(-1), cancellationToken).ConfigureAwait(false)).Value;
        return QueuesModelFactory.QueueMessage(receipt.MessageId, receipt.PopReceipt, body, 0, receipt.TimeNextVisible, receipt.InsertionTime, receipt.ExpirationTime);
    }

    public async Task SendAsync(QueueClient queue, TaskMessage message, TimeSpan? delay, CancellationToken cancellationToken)
    {
        var body = await message.EncodeAsync(Payloads, cancellationToken).ConfigureAwait(false);
        var visibility = delay is { } d && d > TimeSpan.Zero ? d : (TimeSpan?)null;
        await queue.SendMessageAsync(body, visibility, TimeSpan.FromSeconds(-1), cancellationToken).ConfigureAwait(false);
        if (visibility is null) LocalQueueSignals.Signal(Account, queue.Name);
    }
}
