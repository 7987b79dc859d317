using System.Text.Json;
using System.Text.Json.Serialization;
using RftFunctions.Durable.Replay;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>A queue message: one history event addressed to an instance (and, for completions, to one execution).</summary>
/// <param name="InstanceId">The target instance.</param>
/// <param name="Event">The event.</param>
internal sealed record TaskMessage(string InstanceId, HistoryEvent Event)
{
    /// <summary>Unique per message, for logs.</summary>
    public string MessageId { get; init; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Several activity results for the same instance sent as one message (fewer queue operations per activity);
    /// null for a single event. When set it includes <see cref="Event"/>.
    /// </summary>
    public IReadOnlyList<HistoryEvent>? Events { get; init; }

    /// <summary>Every event the message carries.</summary>
    [JsonIgnore]
    public IReadOnlyList<HistoryEvent> AllEvents => Events ?? [Event];

    /// <summary>
    /// Sent hidden and handed to a consumer in this process (<see cref="LocalDispatch"/>), which counts as its first
    /// delivery: a later receive from the queue is one delivery more than the queue's dequeue count says.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool HandedOff { get; init; }

    /// <summary>Deliveries so far of a message the queue has dequeued <paramref name="dequeueCount"/> times.</summary>
    public long Deliveries(long dequeueCount) => dequeueCount + (HandedOff ? 1 : 0);

    /// <summary>When the message was sent, for queue-latency metrics.</summary>
    public DateTime SentAt { get; init; } = DateTime.UtcNow;

    /// <summary>Serializer settings for messages and history columns (enums as names).</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    private sealed record BlobReference(string Blob);

    /// <summary>The queue body, offloading to a blob when too large.</summary>
    public async Task<string> EncodeAsync(PayloadStore payloads, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(this, Json);
        if (System.Text.Encoding.UTF8.GetByteCount(json) <= PayloadStore.MaxQueueMessageBytes) return json;
        var blob = await payloads.UploadAsync(InstanceId, "message", json, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Serialize(new BlobReference(blob), Json);
    }

    /// <summary>Reads a queue body (downloading an offloaded payload).</summary>
    public static async Task<TaskMessage> DecodeAsync(string body, PayloadStore payloads, CancellationToken cancellationToken)
    {
        using (var doc = JsonDocument.Parse(body))
        {
            if (doc.RootElement.TryGetProperty("blob", out var blob) && !doc.RootElement.TryGetProperty("event", out _))
            {
                body = await payloads.DownloadAsync(blob.GetString()!, cancellationToken).ConfigureAwait(false);
            }
        }
        return JsonSerializer.Deserialize<TaskMessage>(body, Json) ?? throw new JsonException("empty task message");
    }
}
