using Azure;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;
using RftFunctions.Storage;

namespace RftFunctions.Durable;

/// <summary>The client for a task hub on Azure Storage.</summary>
public sealed class AzureStorageDurableTaskClient : DurableTaskClient
{
    private static readonly TimeSpan MaxPollInterval = TimeSpan.FromMilliseconds(250);
    private readonly TaskHub _hub;

    /// <summary>Creates a client for the hub named in <paramref name="options"/>.</summary>
    public AzureStorageDurableTaskClient(StorageAccount account, DurableTaskOptions options)
        : base(options.HubName)
    {
        _hub = new TaskHub(account, options);
    }

    /// <inheritdoc/>
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default)
    {
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        var instanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N");
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var now = DateTime.UtcNow;
        var startAt = options?.StartAt?.UtcDateTime;
        var serialized = DataConverter.Serialize(input);
        var executionId = Guid.NewGuid().ToString("N");
        var existing = await _hub.Instances.TryCreatePendingAsync(new InstanceState(instanceId, orchestratorName.Name, OrchestrationRuntimeStatus.Pending)
        {
            ExecutionId = executionId,
            CreatedAt = now,
            LastUpdatedAt = now,
            ScheduledStartTime = startAt,
            Input = serialized,
        }, replaceFinished: true, cancellation).ConfigureAwait(false);
        if (existing is { } status) throw new OrchestrationAlreadyExistsException(instanceId, status);
        var started = new HistoryEvent(EventType.ExecutionStarted)
        {
            Name = orchestratorName.Name,
            Input = serialized,
            InstanceId = instanceId,
            ExecutionId = executionId,
            Timestamp = now,
            FireAt = startAt,
        };
        TimeSpan? delay = startAt is { } at && at > now ? Min(at - now, _hub.Options.StorageProvider.MaxTimerChunk) : null;
        await _hub.SendToInstanceAsync(instanceId, started, delay, cancellation).ConfigureAwait(false);
        return instanceId;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <inheritdoc/>
    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        return SendAsync(instanceId, new HistoryEvent(EventType.EventRaised) { Name = eventName, Input = DataConverter.Serialize(eventPayload) }, cancellation);
    }

    /// <inheritdoc/>
    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new HistoryEvent(EventType.ExecutionTerminated) { Input = DataConverter.Serialize(options?.Output), Recursive = options?.Recursive ?? false }, cancellation);

    /// <inheritdoc/>
    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new HistoryEvent(EventType.ExecutionSuspended) { Input = reason }, cancellation);

    /// <inheritdoc/>
    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new HistoryEvent(EventType.ExecutionResumed) { Input = reason }, cancellation);

    private async Task SendAsync(string instanceId, HistoryEvent e, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        await _hub.EnsureCreatedAsync(cancellation).ConfigureAwait(false);
        await _hub.SendToInstanceAsync(instanceId, e with { Timestamp = DateTime.UtcNow }, null, cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        try
        {
            return await _hub.Instances.GetAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null; // the hub's tables do not exist yet
        }
    }

    /// <inheritdoc/>
    public override async Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, GetInstanceOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var metadata = await GetInstanceAsync(instanceId, options.GetInputsAndOutputs, cancellation).ConfigureAwait(false);
        if (metadata is null || !options.GetHistory) return metadata;
        // The row and the history are read one after the other: an episode committing in between can make the history
        // one episode newer than the status (the Instances row is written after the history).
        var history = await _hub.History.LoadAsync(instanceId, cancellation).ConfigureAwait(false);
        return metadata with { History = [.. history.Events.Select(HistoryEventMapping.ToPublic)] };
    }

    /// <inheritdoc/>
    public override Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    /// <inheritdoc/>
    public override Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        PollAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    private async Task<OrchestrationMetadata> PollAsync(string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var metadata = await GetInstanceAsync(instanceId, getInputsAndOutputs, cancellation).ConfigureAwait(false);
            if (metadata is not null && done(metadata)) return metadata;
            await Task.Delay(delay, cancellation).ConfigureAwait(false);
            delay = delay * 2 < MaxPollInterval ? delay * 2 : MaxPollInterval;
        }
    }

    /// <inheritdoc/>
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        new InstancePageable(_hub.Instances, filter ?? new OrchestrationQuery());

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        var metadata = await GetInstanceAsync(instanceId, false, cancellation).ConfigureAwait(false);
        if (metadata is null) return new PurgeResult(0);
        if (!metadata.IsCompleted)
        {
            throw new InvalidOperationException($"Instance '{instanceId}' is {metadata.RuntimeStatus}; only finished instances can be purged (terminate it first).");
        }
        var purged = options?.Recursive == true
            ? await PurgeSubOrchestrationsAsync(instanceId, new HashSet<string>(StringComparer.Ordinal) { instanceId }, cancellation).ConfigureAwait(false)
            : 0;
        await DeleteInstanceDataAsync(instanceId, cancellation).ConfigureAwait(false);
        return new PurgeResult(purged + 1);
    }

    /// <summary>
    /// Purges the finished sub-orchestrations recorded in <paramref name="parentId"/>'s history, deepest first. Children
    /// go before their parent, so a purge cut short leaves the parent, whose history still names the rest, and a second
    /// purge finishes the job. A child still running is left alone with its subtree: it may still report to nobody, but
    /// deleting a live instance's history would corrupt it. An id that another parent has since reused is not ours.
    /// </summary>
    private async Task<int> PurgeSubOrchestrationsAsync(string parentId, HashSet<string> visited, CancellationToken cancellation)
    {
        int purged = 0;
        var (_, children) = await _hub.History.ReadLineageAsync(parentId, cancellation).ConfigureAwait(false);
        foreach (var childId in children)
        {
            if (!visited.Add(childId)) continue;
            var child = await GetInstanceAsync(childId, false, cancellation).ConfigureAwait(false);
            if (child is null || !child.IsCompleted) continue;
            var (childParent, _) = await _hub.History.ReadLineageAsync(childId, cancellation).ConfigureAwait(false);
            if (childParent is not null && childParent != parentId) continue;
            purged += await PurgeSubOrchestrationsAsync(childId, visited, cancellation).ConfigureAwait(false);
            await DeleteInstanceDataAsync(childId, cancellation).ConfigureAwait(false);
            purged++;
        }
        return purged;
    }

    /// <summary>History rows, large-payload blobs, then the Instances row: the row goes last so a purge cut short is still visible and can be repeated.</summary>
    private async Task DeleteInstanceDataAsync(string instanceId, CancellationToken cancellation)
    {
        await _hub.History.DeleteAsync(instanceId, cancellation).ConfigureAwait(false);
        await _hub.Payloads.DeleteInstanceAsync(instanceId, cancellation).ConfigureAwait(false);
        await _hub.Instances.DeleteAsync(instanceId, cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var statuses = (filter.Statuses ?? [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated]).ToList();
        int purged = 0;
        var query = new OrchestrationQuery(filter.CreatedFrom, filter.CreatedTo, statuses, PageSize: 1000);
        var ids = new List<string>();
        await foreach (var metadata in GetAllInstancesAsync(query).WithCancellation(cancellation).ConfigureAwait(false)) ids.Add(metadata.InstanceId);
        foreach (var id in ids)
        {
            try
            {
                purged += (await PurgeInstanceAsync(id, options, cancellation).ConfigureAwait(false)).PurgedInstanceCount;
            }
            catch (InvalidOperationException)
            {
                // Restarted since the query: no longer finished.
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Already purged as a sub-orchestration of an instance purged recursively before it.
            }
        }
        return new PurgeResult(purged);
    }

    private sealed class InstancePageable(InstanceStore store, OrchestrationQuery query) : AsyncPageable<OrchestrationMetadata>
    {
        public override async IAsyncEnumerable<Page<OrchestrationMetadata>> AsPages(string? continuationToken = null, int? pageSizeHint = null)
        {
            var token = continuationToken ?? query.ContinuationToken;
            var pageQuery = pageSizeHint is { } size ? query with { PageSize = size } : query;
            do
            {
                var (items, next) = await store.QueryPageAsync(pageQuery, token, default).ConfigureAwait(false);
                yield return new InstancePage(items, next);
                token = next;
            }
            while (token is not null);
        }
    }

    private sealed class InstancePage(IReadOnlyList<OrchestrationMetadata> values, string? continuationToken) : Page<OrchestrationMetadata>
    {
        public override IReadOnlyList<OrchestrationMetadata> Values => values;

        public override string? ContinuationToken => continuationToken;

        public override Response GetRawResponse() => throw new NotSupportedException("Instance pages are assembled from several table responses.");
    }
}
