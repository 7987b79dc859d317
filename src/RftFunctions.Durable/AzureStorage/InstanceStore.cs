using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>
/// The Instances table: one row per instance (PartitionKey = escaped id, RowKey empty), the read model clients query.
/// Written after the history commit, so it is eventually consistent with History.
/// </summary>
internal sealed class InstanceStore(TableClient table, PayloadStore payloads)
{
    public TableClient Table => table;

    /// <summary>Creates or replaces the row with the given state (large values go to blobs).</summary>
    public async Task UpsertAsync(InstanceState state, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(TaskHubNames.EscapeKey(state.InstanceId), "")
        {
            ["InstanceId"] = state.InstanceId,
            ["Name"] = state.Name,
            ["RuntimeStatus"] = state.Status.ToString(),
            ["CreatedTime"] = state.CreatedAt,
            ["LastUpdatedTime"] = state.LastUpdatedAt,
            ["ExecutionId"] = state.ExecutionId,
        };
        if (state.CompletedAt is { } completed) entity["CompletedTime"] = completed;
        if (state.ScheduledStartTime is { } start) entity["ScheduledStartTime"] = start;
        await SetAsync(entity, state.InstanceId, "Input", state.Input, cancellationToken).ConfigureAwait(false);
        await SetAsync(entity, state.InstanceId, "Output", state.Output, cancellationToken).ConfigureAwait(false);
        await SetAsync(entity, state.InstanceId, "CustomStatus", state.CustomStatus, cancellationToken).ConfigureAwait(false);
        if (state.FailureDetails is not null) await SetAsync(entity, state.InstanceId, "FailureDetails", JsonSerializer.Serialize(state.FailureDetails, TaskMessage.Json), cancellationToken).ConfigureAwait(false);
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Inserts a Pending row unless a row exists; returns the existing row's status when it does.</summary>
    public async Task<OrchestrationRuntimeStatus?> TryCreatePendingAsync(InstanceState state, bool replaceFinished, CancellationToken cancellationToken)
    {
        var existing = await GetAsync(state.InstanceId, false, cancellationToken).ConfigureAwait(false);
        if (existing is not null && (!existing.IsCompleted || !replaceFinished)) return existing.RuntimeStatus;
        await UpsertAsync(state, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public async Task<OrchestrationMetadata?> GetAsync(string instanceId, bool withPayloads, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(TaskHubNames.EscapeKey(instanceId), "", cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? await ToMetadataAsync(response.Value!, withPayloads, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>One page of a query; the continuation token is the table service's.</summary>
    public async Task<(List<OrchestrationMetadata> Items, string? ContinuationToken)> QueryPageAsync(OrchestrationQuery query, string? continuationToken, CancellationToken cancellationToken)
    {
        var filter = BuildFilter(query.CreatedFrom, query.CreatedTo, query.Statuses, query.InstanceIdPrefix);
        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        await foreach (var page in table.QueryAsync<TableEntity>(filter, pageSize, cancellationToken: cancellationToken).AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            var items = new List<OrchestrationMetadata>(page.Values.Count);
            foreach (var row in page.Values) items.Add(await ToMetadataAsync(row, query.FetchInputsAndOutputs, cancellationToken).ConfigureAwait(false));
            return (items, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
        }
        return ([], null);
    }

    public async Task DeleteAsync(string instanceId, CancellationToken cancellationToken) =>
        await table.DeleteEntityAsync(TaskHubNames.EscapeKey(instanceId), "", ETag.All, cancellationToken).ConfigureAwait(false);

    public static string? BuildFilter(DateTimeOffset? from, DateTimeOffset? to, IEnumerable<OrchestrationRuntimeStatus>? statuses, string? prefix)
    {
        var parts = new List<string>();
        if (from is { } f) parts.Add(TableClient.CreateQueryFilter($"CreatedTime ge {f}"));
        if (to is { } t) parts.Add(TableClient.CreateQueryFilter($"CreatedTime le {t}"));
        var statusList = statuses?.Distinct().ToList();
        if (statusList is { Count: > 0 })
        {
            parts.Add("(" + string.Join(" or ", statusList.Select(s => TableClient.CreateQueryFilter($"RuntimeStatus eq {s.ToString()}"))) + ")");
        }
        if (!string.IsNullOrEmpty(prefix))
        {
            var escaped = TaskHubNames.EscapeKey(prefix);
            // Every key starting with the prefix sorts between the prefix and the prefix with its last char bumped.
            var upper = escaped[..^1] + (char)(escaped[^1] + 1);
            parts.Add(TableClient.CreateQueryFilter($"PartitionKey ge {escaped} and PartitionKey lt {upper}"));
        }
        return parts.Count == 0 ? null : string.Join(" and ", parts);
    }

    private async Task SetAsync(TableEntity entity, string instanceId, string column, string? value, CancellationToken cancellationToken)
    {
        if (value is null) return;
        if (PayloadStore.IsTooLargeForTable(value)) entity[column + "BlobName"] = await payloads.UploadAsync(instanceId, "instance", value, cancellationToken).ConfigureAwait(false);
        else entity[column] = value;
    }

    private async Task<string?> GetAsync(TableEntity entity, string column, CancellationToken cancellationToken) =>
        entity.GetString(column + "BlobName") is { } blob
            ? await payloads.DownloadAsync(blob, cancellationToken).ConfigureAwait(false)
            : entity.GetString(column);

    private async Task<OrchestrationMetadata> ToMetadataAsync(TableEntity row, bool withPayloads, CancellationToken cancellationToken)
    {
        var failure = await GetAsync(row, "FailureDetails", cancellationToken).ConfigureAwait(false);
        return new OrchestrationMetadata(row.GetString("Name") ?? "", row.GetString("InstanceId") ?? TaskHubNames.UnescapeKey(row.PartitionKey))
        {
            RuntimeStatus = Enum.TryParse<OrchestrationRuntimeStatus>(row.GetString("RuntimeStatus"), out var s) ? s : OrchestrationRuntimeStatus.Pending,
            CreatedAt = row.GetDateTimeOffset("CreatedTime") ?? default,
            LastUpdatedAt = row.GetDateTimeOffset("LastUpdatedTime") ?? default,
            ExecutionId = row.GetString("ExecutionId"),
            SerializedInput = withPayloads ? await GetAsync(row, "Input", cancellationToken).ConfigureAwait(false) : null,
            SerializedOutput = withPayloads ? await GetAsync(row, "Output", cancellationToken).ConfigureAwait(false) : null,
            SerializedCustomStatus = withPayloads ? await GetAsync(row, "CustomStatus", cancellationToken).ConfigureAwait(false) : null,
            FailureDetails = failure is null ? null : JsonSerializer.Deserialize<FailureDetails>(failure, TaskMessage.Json),
        };
    }
}

/// <summary>The values written to an Instances row.</summary>
internal sealed record InstanceState(string InstanceId, string Name, OrchestrationRuntimeStatus Status)
{
    public string? ExecutionId { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset LastUpdatedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset? ScheduledStartTime { get; init; }

    public string? Input { get; init; }

    public string? Output { get; init; }

    public string? CustomStatus { get; init; }

    public FailureDetails? FailureDetails { get; init; }
}
