using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Worker;
using RftFunctions.Storage;

namespace RftFunctions.Durable;

/// <summary>
/// A worker process's share of a task hub: it leases control-queue partitions and runs orchestration episodes for
/// them, and serves the worker pools it subscribes to (each pool its own work-item queue and concurrency limit).
/// One process can serve everything; GPU machines can serve only the <c>gpu</c> pool.
/// </summary>
public sealed class DurableTaskWorker : IHostedService, IAsyncDisposable
{
    private readonly TaskHub _hub;
    private readonly DurableTaskRegistry _registry;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly OrchestrationProcessor _orchestrations;
    private readonly Dictionary<string, int> _pools;
    private readonly List<Task> _loops = [];
    private CancellationTokenSource? _stopping;
    private PartitionManager? _partitions;

    /// <summary>Creates a worker; <see cref="StartAsync"/> starts it.</summary>
    /// <param name="account">The storage account of the task hub.</param>
    /// <param name="options">host.json-shaped options (validated here).</param>
    /// <param name="registry">The orchestrators and activities (the same set in every process of the hub).</param>
    /// <param name="loggerFactory">Logging; null logs nothing.</param>
    /// <param name="services">Resolves activity and orchestrator constructor dependencies; null gives an empty provider.</param>
    /// <param name="workerId">A unique id for this worker (default: machine, process id and a random suffix).</param>
    public DurableTaskWorker(
        StorageAccount account,
        DurableTaskOptions options,
        DurableTaskRegistry registry,
        ILoggerFactory? loggerFactory = null,
        IServiceProvider? services = null,
        string? workerId = null)
    {
        ArgumentNullException.ThrowIfNull(account);
        _hub = new TaskHub(account, options);
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _services = services ?? new ServiceCollection().BuildServiceProvider();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("RftFunctions.Durable.Worker");
        WorkerId = workerId ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..Math.Min(60, Environment.MachineName.Length + 30)];
        _orchestrations = new OrchestrationProcessor(_hub, registry, _services, _loggerFactory, WorkerId);
        _pools = options.WorkerPools is { } pools
            ? new Dictionary<string, int>(pools, StringComparer.Ordinal)
            : registry.Pools.ToDictionary(p => p, _ => options.MaxConcurrentActivityFunctions, StringComparer.Ordinal);
        foreach (var pool in _pools.Keys) DurableTaskRegistry.ValidatePool(pool);
    }

    /// <summary>This worker's id (lease owner name).</summary>
    public string WorkerId { get; }

    /// <summary>The pools served and their concurrency limits.</summary>
    public IReadOnlyDictionary<string, int> Pools => _pools;

    /// <summary>The control-queue partitions this worker owns right now.</summary>
    public IReadOnlyCollection<int> OwnedPartitions => _partitions?.OwnedPartitions ?? [];

    internal OrchestrationProcessor Orchestrations => _orchestrations;

    /// <summary>Creates the hub's storage if needed and starts polling.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null) throw new InvalidOperationException("The worker is already started.");
        await _hub.CreateIfNotExistsAsync(_pools.Keys.Concat(_registry.Pools), cancellationToken).ConfigureAwait(false);
        _stopping = new CancellationTokenSource();
        foreach (var (pool, limit) in _pools)
        {
            var processor = new ActivityProcessor(_hub, _registry, _services, _loggerFactory.CreateLogger("RftFunctions.Durable.Activity"), pool, limit);
            _loops.Add(Task.Run(() => processor.RunAsync(_stopping.Token), CancellationToken.None));
        }
        if (_hub.Options.ProcessOrchestrations)
        {
            _partitions = new PartitionManager(_hub, WorkerId, _logger, RunControlQueueAsync);
            _loops.Add(Task.Run(() => _partitions.RunAsync(_stopping.Token), CancellationToken.None));
        }
        _logger.LogInformation("Durable worker {WorkerId} started on hub {HubName} serving pools {Pools}", WorkerId, _hub.Options.HubName, string.Join(",", _pools.Select(p => $"{p.Key}:{p.Value}")));
    }

    /// <summary>Stops polling, lets running episodes and activities finish, and releases the leases.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A loop observed the stop signal inside a storage call.
        }
        _loops.Clear();
        _stopping.Dispose();
        _stopping = null;
    }

    /// <summary>Stops the worker.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private async Task RunControlQueueAsync(PartitionSession session, CancellationToken released)
    {
        await Task.Yield();
        var queue = _hub.ControlQueues[session.Partition];
        var provider = _hub.Options.StorageProvider;
        var backoff = new PollingBackoff(provider.MaxQueuePollingInterval);
        // Messages this worker sends to the partition while it holds it arrive here without a receive; the queue is
        // still read at least every other round so messages from other processes are not starved.
        var inbox = _hub.Local.OpenInbox(queue.Name);
        var skippedReceive = false;
        try
        {
            while (!released.IsCancellationRequested)
            {
                try
                {
                    var handedOff = inbox.TakeAll();
                    QueueMessage[] received = [];
                    if (handedOff.Count == 0 || skippedReceive)
                    {
                        received = (await queue.ReceiveMessagesAsync(provider.ControlQueueBatchSize, provider.ControlQueueVisibilityTimeout, released).ConfigureAwait(false)).Value;
                        skippedReceive = false;
                    }
                    else
                    {
                        skippedReceive = true;
                    }
                    if (handedOff.Count == 0 && received.Length == 0)
                    {
                        await LocalQueueSignals.WaitAsync(_hub.Account, queue.Name, backoff.Next(), released).ConfigureAwait(false);
                        continue;
                    }
                    backoff.Reset();
                    // Not cancelled by a release: a started batch finishes (or fails its ETag check) before the lease goes.
                    await _orchestrations.ProcessBatchAsync(queue, received, handedOff, session, CancellationToken.None).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (released.IsCancellationRequested)
                {
                    break;
                }
                catch (RequestFailedException ex)
                {
                    _logger.LogWarning(ex, "Control queue {Queue} polling failed on worker {WorkerId}; retrying", queue.Name, WorkerId);
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(1), released).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            // Episodes whose history is written finish their instance rows and deletes while the lease is still ours.
            await session.DrainAsync().ConfigureAwait(false);
            _hub.Local.RemoveInbox(queue.Name, inbox);
            await ReleaseUnprocessedAsync(queue, inbox.Close()).ConfigureAwait(false);
        }
    }

    /// <summary>Messages handed to a partition this worker no longer holds become visible for the next owner at once.</summary>
    private async Task ReleaseUnprocessedAsync(QueueClient queue, List<HandedOffMessage> messages)
    {
        foreach (var m in messages)
        {
            // A failed send stored nothing; its sender saw the failure.
            if (await new ReceivedMessage(queue, m.Stored, m.Message).StoredOrNullAsync().ConfigureAwait(false) is not { } raw) continue;
            try
            {
                await queue.UpdateMessageAsync(raw.MessageId, raw.PopReceipt, visibilityTimeout: TimeSpan.Zero).ConfigureAwait(false);
            }
            catch (RequestFailedException ex)
            {
                _logger.LogWarning(ex, "Could not release message {MessageId} of {Queue}; it reappears after its visibility timeout", raw.MessageId, queue.Name);
            }
        }
    }
}
