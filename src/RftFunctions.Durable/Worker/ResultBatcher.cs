using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;

namespace RftFunctions.Durable.Worker;

/// <summary>
/// Coalesces activity results that finish at nearly the same time for the same instance into one control-queue
/// message: a fan-in of N results then costs N/k sends, receives and deletes instead of N. Each caller's task completes
/// only once the message holding its result is stored, so result-before-delete still holds per work item.
/// </summary>
internal sealed class ResultBatcher(TaskHub hub)
{
    private const int MaxBatch = 100;
    private readonly Dictionary<string, List<(HistoryEvent Result, TaskCompletionSource Sent)>> _pending = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task SendAsync(string instanceId, HistoryEvent result)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool first;
        lock (_lock)
        {
            first = !_pending.TryGetValue(instanceId, out var list);
            if (first) _pending[instanceId] = list = [];
            list!.Add((result, sent));
        }
        if (first) _ = FlushSoonAsync(instanceId);
        return sent.Task;
    }

    private async Task FlushSoonAsync(string instanceId)
    {
        // Let results finishing in the same moment join; a yield is enough under load, costs nothing when idle.
        await Task.Delay(2).ConfigureAwait(false);
        List<(HistoryEvent Result, TaskCompletionSource Sent)> batch;
        lock (_lock)
        {
            batch = _pending[instanceId];
            _pending.Remove(instanceId);
        }
        foreach (var chunk in batch.Chunk(MaxBatch))
        {
            try
            {
                await hub.SendResultsToInstanceAsync(instanceId, [.. chunk.Select(c => c.Result)], CancellationToken.None).ConfigureAwait(false);
                foreach (var c in chunk) c.Sent.TrySetResult();
            }
            catch (Exception ex)
            {
                foreach (var c in chunk) c.Sent.TrySetException(ex);
            }
        }
    }
}
