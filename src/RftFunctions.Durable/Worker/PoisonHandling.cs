using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using RftFunctions.Durable.AzureStorage;

namespace RftFunctions.Durable.Worker;

/// <summary>
/// Moves messages that cannot be processed to the hub's poison queue with the reason, so nothing loops forever
/// (upstream backs off and retries forever instead).
/// </summary>
internal static class PoisonHandling
{
    /// <summary>What the poison queue holds for each moved message.</summary>
    internal sealed record PoisonRecord(string SourceQueue, string MessageId, long DequeueCount, string Reason, string Body, DateTime MovedAt);

    public static async Task MoveAsideAsync(TaskHub hub, QueueClient source, QueueMessage raw, string reason, ILogger logger, CancellationToken cancellationToken, string? popReceipt = null)
    {
        logger.LogError("Moving message {MessageId} from {Queue} to {PoisonQueue}: {Reason}", raw.MessageId, source.Name, hub.PoisonQueue.Name, reason);
        DurableMetrics.PoisonMessages.Add(1);
        var body = raw.Body.ToString();
        var record = new PoisonRecord(source.Name, raw.MessageId, raw.DequeueCount, reason, body.Length > 40_000 ? body[..40_000] : body, DateTime.UtcNow);
        await hub.PoisonQueue.SendMessageAsync(JsonSerializer.Serialize(record, TaskMessage.Json), null, TimeSpan.FromSeconds(-1), cancellationToken).ConfigureAwait(false);
        try
        {
            await source.DeleteMessageAsync(raw.MessageId, popReceipt ?? raw.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Another receiver holds it now; it will reach the same verdict.
        }
    }
}
