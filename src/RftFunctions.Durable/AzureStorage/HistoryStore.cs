using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using RftFunctions.Durable.Replay;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>An instance's current execution as loaded from the History table.</summary>
internal sealed record InstanceHistory(string InstanceId, string? ExecutionId, IReadOnlyList<HistoryEvent> Events, ETag? SentinelETag)
{
    public bool HasSentinel => SentinelETag is not null;
}

/// <summary>History rows could not be read back into events.</summary>
internal sealed class HistoryCorruptException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The History table: one partition per instance, one row per event (RowKey = index as 16 hex digits), and a
/// <c>sentinel</c> row whose ETag is the instance's concurrency token. Every batch written carries the sentinel under
/// the ETag read before, so a worker that lost the instance fails atomically and writes nothing.
/// </summary>
internal sealed class HistoryStore(TableClient table, PayloadStore payloads)
{
    public const string SentinelRowKey = "sentinel";
    private const int MaxEventsPerBatch = 99; // 100 entities per batch, one of them the sentinel
    private const int MaxBatchBytes = 3 * 1024 * 1024; // below the 4 MB batch limit with room for overhead

    public TableClient Table => table;

    public async Task<InstanceHistory> LoadAsync(string instanceId, CancellationToken cancellationToken)
    {
        var pk = TaskHubNames.EscapeKey(instanceId);
        TableEntity? sentinel = null;
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == pk, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey == SentinelRowKey) sentinel = row;
            else rows.Add(row);
        }
        if (sentinel is null) return new InstanceHistory(instanceId, null, [], null);
        var executionId = sentinel.GetString("ExecutionId");
        var count = sentinel.GetInt32("EventCount") ?? 0;
        var events = new HistoryEvent?[count];
        foreach (var row in rows)
        {
            // Rows of an earlier execution (before ContinueAsNew) or beyond the committed count are not history.
            if (row.GetString("ExecutionId") != executionId) continue;
            if (!int.TryParse(row.RowKey, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var index) || index >= count) continue;
            events[index] = await FromEntityAsync(row, cancellationToken).ConfigureAwait(false);
        }
        var missing = Array.IndexOf(events, null);
        if (missing >= 0)
        {
            throw new HistoryCorruptException($"History of instance '{instanceId}' (execution {executionId}) is missing event {missing} of {count}.");
        }
        return new InstanceHistory(instanceId, executionId, events!, sentinel.ETag);
    }

    /// <summary>The sentinel's current ETag (null when the instance has no history), to validate a cached history.</summary>
    public async Task<ETag?> ReadSentinelETagAsync(string instanceId, CancellationToken cancellationToken)
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(TaskHubNames.EscapeKey(instanceId), SentinelRowKey, ["ExecutionId"], cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value!.ETag : null;
    }

    /// <summary>
    /// Appends <paramref name="newEvents"/> to the execution (or starts a new execution at index 0) under the
    /// sentinel's ETag. Returns the new ETag, or null when another worker changed the instance first.
    /// </summary>
    public async Task<ETag?> CheckpointAsync(InstanceHistory current, string executionId, IReadOnlyList<HistoryEvent> newEvents, bool newExecution, CancellationToken cancellationToken)
    {
        var pk = TaskHubNames.EscapeKey(current.InstanceId);
        int index = newExecution ? 0 : current.Events.Count;
        var etag = current.SentinelETag;
        var pending = new List<TableEntity>();
        long bytes = 0;
        int written = 0;
        do
        {
            pending.Clear();
            bytes = 0;
            while (written < newEvents.Count && pending.Count < MaxEventsPerBatch)
            {
                var entity = await ToEntityAsync(current.InstanceId, pk, index + written, executionId, newEvents[written], cancellationToken).ConfigureAwait(false);
                var size = EstimateBytes(entity);
                if (pending.Count > 0 && bytes + size > MaxBatchBytes) break;
                pending.Add(entity);
                bytes += size;
                written++;
            }
            var sentinel = new TableEntity(pk, SentinelRowKey)
            {
                ["ExecutionId"] = executionId,
                ["EventCount"] = index + written,
                ["LastCheckpointTime"] = DateTimeOffset.UtcNow,
            };
            var actions = pending.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)).ToList();
            actions.Add(etag is { } tag
                ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, sentinel, tag)
                : new TableTransactionAction(TableTransactionActionType.Add, sentinel));
            try
            {
                var response = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                etag = response.Value[^1].Headers.ETag;
                if (etag is null)
                {
                    throw new InvalidOperationException("The table service returned no ETag for the sentinel row.");
                }
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
            {
                return null;
            }
        }
        while (written < newEvents.Count);
        return etag;
    }

    /// <summary>
    /// Who started the instance's current execution (null for a top-level one or no history) and every instance it
    /// started as a sub-orchestration. Children are read from all rows, not only the current execution's: rows an
    /// earlier execution (before ContinueAsNew) left behind still name real children. Reads only a few columns.
    /// </summary>
    public async Task<(string? ParentInstanceId, IReadOnlyList<string> SubOrchestrationIds)> ReadLineageAsync(string instanceId, CancellationToken cancellationToken)
    {
        var pk = TaskHubNames.EscapeKey(instanceId);
        string? executionId = null;
        var starts = new List<(string? ExecutionId, string? Parent)>();
        var children = new List<string>();
        var created = nameof(EventType.SubOrchestrationInstanceCreated);
        var started = nameof(EventType.ExecutionStarted);
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == pk, select: ["RowKey", "EventType", "ExecutionId", "TargetInstanceId", "ParentInstanceId"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.RowKey == SentinelRowKey) executionId = row.GetString("ExecutionId");
            else if (row.GetString("EventType") == created && row.GetString("TargetInstanceId") is { } child && !children.Contains(child, StringComparer.Ordinal)) children.Add(child);
            else if (row.GetString("EventType") == started) starts.Add((row.GetString("ExecutionId"), row.GetString("ParentInstanceId")));
        }
        var parent = starts.FirstOrDefault(s => s.ExecutionId == executionId).Parent;
        return (parent, children);
    }

    /// <summary>Deletes every row of an instance (purge).</summary>
    public async Task DeleteAsync(string instanceId, CancellationToken cancellationToken)
    {
        var pk = TaskHubNames.EscapeKey(instanceId);
        var keys = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == pk, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(new TableEntity(pk, row.RowKey));
        }
        foreach (var chunk in keys.Chunk(100))
        {
            await table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, k, ETag.All)), cancellationToken).ConfigureAwait(false);
        }
    }

    private static long EstimateBytes(TableEntity entity) =>
        256 + entity.Sum(kv => kv.Value is string s ? s.Length * 2L : 16L);

    private async Task<TableEntity> ToEntityAsync(string instanceId, string pk, int index, string executionId, HistoryEvent e, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(pk, index.ToString("X16", CultureInfo.InvariantCulture))
        {
            ["EventType"] = e.EventType.ToString(),
            ["EventId"] = e.EventId,
            ["EventTimestamp"] = DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc),
            ["ExecutionId"] = executionId,
        };
        if (e.Name is not null) entity["Name"] = e.Name;
        await SetLargeAsync(entity, instanceId, "Input", e.Input, cancellationToken).ConfigureAwait(false);
        await SetLargeAsync(entity, instanceId, "Result", e.Result, cancellationToken).ConfigureAwait(false);
        if (e.TaskScheduledId >= 0) entity["TaskScheduledId"] = e.TaskScheduledId;
        if (e.TimerId >= 0) entity["TimerId"] = e.TimerId;
        if (e.FireAt is { } fireAt) entity["FireAt"] = DateTime.SpecifyKind(fireAt, DateTimeKind.Utc);
        if (e.FailureDetails is not null) await SetLargeAsync(entity, instanceId, "FailureDetails", JsonSerializer.Serialize(e.FailureDetails, TaskMessage.Json), cancellationToken).ConfigureAwait(false);
        if (e.EventType == EventType.ExecutionStarted) entity["OrchestrationExecutionId"] = e.ExecutionId;
        if (e.InstanceId is not null) entity["TargetInstanceId"] = e.InstanceId;
        if (e.Pool is not null) entity["Pool"] = e.Pool;
        if (e.ParentInstanceId is not null) entity["ParentInstanceId"] = e.ParentInstanceId;
        if (e.ParentName is not null) entity["ParentName"] = e.ParentName;
        if (e.ParentExecutionId is not null) entity["ParentExecutionId"] = e.ParentExecutionId;
        if (e.Status is { } status) entity["Status"] = status.ToString();
        if (e.Recursive) entity["Recursive"] = true;
        return entity;
    }

    private async Task SetLargeAsync(TableEntity entity, string instanceId, string column, string? value, CancellationToken cancellationToken)
    {
        if (value is null) return;
        if (PayloadStore.IsTooLargeForTable(value))
        {
            entity[column + "BlobName"] = await payloads.UploadAsync(instanceId, "history", value, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            entity[column] = value;
        }
    }

    private async Task<string?> GetLargeAsync(TableEntity entity, string column, CancellationToken cancellationToken) =>
        entity.GetString(column + "BlobName") is { } blob
            ? await payloads.DownloadAsync(blob, cancellationToken).ConfigureAwait(false)
            : entity.GetString(column);

    private async Task<HistoryEvent> FromEntityAsync(TableEntity row, CancellationToken cancellationToken)
    {
        try
        {
            var type = Enum.Parse<EventType>(row.GetString("EventType") ?? throw new FormatException("EventType is missing"));
            var failure = await GetLargeAsync(row, "FailureDetails", cancellationToken).ConfigureAwait(false);
            var status = row.GetString("Status");
            return new HistoryEvent(type)
            {
                EventId = row.GetInt32("EventId") ?? -1,
                Timestamp = row.GetDateTime("EventTimestamp")?.ToUniversalTime() ?? throw new FormatException("EventTimestamp is missing"),
                Name = row.GetString("Name"),
                Input = await GetLargeAsync(row, "Input", cancellationToken).ConfigureAwait(false),
                Result = await GetLargeAsync(row, "Result", cancellationToken).ConfigureAwait(false),
                TaskScheduledId = row.GetInt32("TaskScheduledId") ?? -1,
                TimerId = row.GetInt32("TimerId") ?? -1,
                FireAt = row.GetDateTime("FireAt")?.ToUniversalTime(),
                FailureDetails = failure is null ? null : JsonSerializer.Deserialize<FailureDetails>(failure, TaskMessage.Json),
                ExecutionId = row.GetString("OrchestrationExecutionId"),
                InstanceId = row.GetString("TargetInstanceId"),
                Pool = row.GetString("Pool"),
                ParentInstanceId = row.GetString("ParentInstanceId"),
                ParentName = row.GetString("ParentName"),
                ParentExecutionId = row.GetString("ParentExecutionId"),
                Status = status is null ? null : Enum.Parse<OrchestrationRuntimeStatus>(status),
                Recursive = row.GetBoolean("Recursive") ?? false,
            };
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or JsonException or InvalidOperationException)
        {
            throw new HistoryCorruptException($"History row {row.RowKey} of '{row.PartitionKey}' cannot be read: {ex.Message}", ex);
        }
    }
}
