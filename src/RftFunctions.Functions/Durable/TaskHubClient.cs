using System.Text.Json;
using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using CoreQuery = DurableTask.Core.Query.OrchestrationQuery;
using CoreStatus = DurableTask.Core.OrchestrationStatus;
using PurgeResult = Microsoft.DurableTask.Client.PurgeResult;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// The SDK's <see cref="DurableTaskClient"/> over the engine's own client (<see cref="AzureStorageOrchestrationService"/>
/// as IOrchestrationServiceClient / query / purge client), so app code starts, queries and controls instances through
/// Microsoft's client type in both hosts (the Function App gets its client from the [DurableClient] binding). Messages
/// are built the way DurableTask.Core's own TaskHubClient builds them, with payloads serialized by the same
/// <see cref="TaskHubJson.Converter"/> the worker's shims use.
/// </summary>
public sealed class TaskHubClient(AzureStorageOrchestrationService service, string hubName) : DurableTaskClient(hubName)
{
    // Starting an instance whose id is running (or about to) fails, as Durable Functions' default; a finished one may
    // be replaced. The app's own ids (job ids, one evaluation per checkpoint) never reuse a finished instance.
    private static readonly CoreStatus[] DedupeStatuses = [CoreStatus.Running, CoreStatus.Pending, CoreStatus.ContinuedAsNew, CoreStatus.Suspended];

    private static DataConverter Converter => TaskHubJson.Converter;

    /// <inheritdoc />
    public override async Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null,
        CancellationToken cancellation = default)
    {
        var instance = new OrchestrationInstance
        {
            InstanceId = options?.InstanceId ?? Guid.NewGuid().ToString("N"),
            ExecutionId = Guid.NewGuid().ToString("N"),
        };
        var started = new ExecutionStartedEvent(-1, Converter.Serialize(input))
        {
            Name = orchestratorName.Name,
            Version = "",
            OrchestrationInstance = instance,
            ScheduledStartTime = options?.StartAt?.UtcDateTime,
        };
        await service.CreateTaskOrchestrationAsync(new TaskMessage { OrchestrationInstance = instance, Event = started }, DedupeStatuses).WaitAsync(cancellation);
        return instance.InstanceId;
    }

    /// <inheritdoc />
    public override Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new EventRaisedEvent(-1, Converter.Serialize(eventPayload)) { Name = eventName }, cancellation);

    /// <inheritdoc />
    public override Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionSuspendedEvent(-1, reason), cancellation);

    /// <inheritdoc />
    public override Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default) =>
        SendAsync(instanceId, new ExecutionResumedEvent(-1, reason), cancellation);

    /// <inheritdoc />
    public override Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default) =>
        service.ForceTerminateTaskOrchestrationAsync(instanceId, Converter.Serialize(options?.Output)).WaitAsync(cancellation);

    /// <inheritdoc />
    public override async Task<OrchestrationMetadata?> GetInstancesAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default)
    {
        var states = await service.GetOrchestrationStateAsync(instanceId, allExecutions: false, fetchInput: getInputsAndOutputs).WaitAsync(cancellation);
        if (states.FirstOrDefault(s => s?.OrchestrationInstance is not null) is not { } state) return null;
        // The instance row carries a failed instance's message only; its history has the failure details (type, stack).
        var failure = state.OrchestrationStatus == CoreStatus.Failed && string.IsNullOrEmpty(state.FailureDetails?.ErrorType)
            ? await FailureFromHistoryAsync(instanceId, state.OrchestrationInstance.ExecutionId, cancellation)
            : null;
        return ToMetadata(state, getInputsAndOutputs, failure);
    }

    /// <inheritdoc />
    public override AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null) =>
        Pageable.Create(async (continuation, pageSize, cancellation) =>
        {
            var query = new CoreQuery
            {
                CreatedTimeFrom = filter?.CreatedFrom?.UtcDateTime,
                CreatedTimeTo = filter?.CreatedTo?.UtcDateTime,
                RuntimeStatus = filter?.Statuses?.Select(s => (CoreStatus)(int)s).ToList(),
                InstanceIdPrefix = filter?.InstanceIdPrefix,
                PageSize = pageSize ?? filter?.PageSize ?? OrchestrationQuery.DefaultPageSize,
                ContinuationToken = continuation ?? filter?.ContinuationToken,
                FetchInputsAndOutputs = filter?.FetchInputsAndOutputs ?? false,
            };
            var result = await service.GetOrchestrationWithQueryAsync(query, cancellation);
            var fetch = query.FetchInputsAndOutputs;
            return new Page<OrchestrationMetadata>([.. result.OrchestrationState.Select(s => ToMetadata(s, fetch))], result.ContinuationToken);
        });

    /// <inheritdoc />
    public override async Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        await PollAsync(instanceId, getInputsAndOutputs, m => m.RuntimeStatus != OrchestrationRuntimeStatus.Pending, cancellation);

    /// <inheritdoc />
    public override async Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default) =>
        await PollAsync(instanceId, getInputsAndOutputs, m => m.IsCompleted, cancellation);

    /// <inheritdoc />
    public override async Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        var result = await ((IOrchestrationServicePurgeClient)service).PurgeInstanceStateAsync(instanceId).WaitAsync(cancellation);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <inheritdoc />
    public override async Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var coreFilter = new PurgeInstanceFilter(filter.CreatedFrom?.UtcDateTime ?? DateTime.MinValue, filter.CreatedTo?.UtcDateTime,
            filter.Statuses?.Select(s => (CoreStatus)(int)s).ToList());
        var result = await ((IOrchestrationServicePurgeClient)service).PurgeInstanceStateAsync(coreFilter).WaitAsync(cancellation);
        return new PurgeResult(result.DeletedInstanceCount);
    }

    /// <summary>The history of the instance's current execution as the engine stores it (a JSON array), or null when unknown.</summary>
    public async Task<JsonElement?> GetHistoryJsonAsync(string instanceId, CancellationToken cancellation = default)
    {
        var json = await service.GetOrchestrationHistoryAsync(instanceId, null).WaitAsync(cancellation);
        if (string.IsNullOrEmpty(json)) return null;
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        return doc.RootElement.Clone();
    }

    private async Task<TaskFailureDetails?> FailureFromHistoryAsync(string instanceId, string? executionId, CancellationToken cancellation)
    {
        var json = await service.GetOrchestrationHistoryAsync(instanceId, executionId).WaitAsync(cancellation);
        if (string.IsNullOrEmpty(json)) return null;
        using var history = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        if (history.RootElement.ValueKind != JsonValueKind.Array) return null;
        return history.RootElement.EnumerateArray().Reverse()
            .Select(e => e.TryGetProperty("FailureDetails", out var f) && f.ValueKind == JsonValueKind.Object ? ToFailure(f) : null)
            .FirstOrDefault(f => f is not null);

        static TaskFailureDetails? ToFailure(JsonElement f)
        {
            static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var inner = f.TryGetProperty("InnerFailure", out var i) && i.ValueKind == JsonValueKind.Object ? ToFailure(i) : null;
            return Text(f, "ErrorType") is { Length: > 0 } type ? new TaskFailureDetails(type, Text(f, "ErrorMessage") ?? "", Text(f, "StackTrace"), inner, null) : null;
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        service.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task SendAsync(string instanceId, HistoryEvent historyEvent, CancellationToken cancellation)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        var message = new TaskMessage { OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId }, Event = historyEvent };
        return service.SendTaskOrchestrationMessageAsync(message).WaitAsync(cancellation);
    }

    private async Task<OrchestrationMetadata> PollAsync(string instanceId, bool getInputsAndOutputs, Func<OrchestrationMetadata, bool> done, CancellationToken cancellation)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            if (await GetInstancesAsync(instanceId, getInputsAndOutputs, cancellation) is { } metadata && done(metadata)) return metadata;
            await Task.Delay(delay, cancellation);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    private static OrchestrationMetadata ToMetadata(OrchestrationState state, bool withPayloads, TaskFailureDetails? failure = null) => new(state.Name, state.OrchestrationInstance.InstanceId)
    {
        DataConverter = Converter,
        RuntimeStatus = (OrchestrationRuntimeStatus)(int)state.OrchestrationStatus,
        CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(state.CreatedTime, DateTimeKind.Utc)),
        LastUpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(state.LastUpdatedTime, DateTimeKind.Utc)),
        SerializedInput = withPayloads ? state.Input : null,
        SerializedOutput = withPayloads ? state.Output : null,
        SerializedCustomStatus = state.Status,
        FailureDetails = failure ?? ToFailure(state.FailureDetails),
    };

    private static TaskFailureDetails? ToFailure(FailureDetails? f) =>
        f is null ? null : new TaskFailureDetails(f.ErrorType, f.ErrorMessage, f.StackTrace, ToFailure(f.InnerFailure), f.Properties);
}
