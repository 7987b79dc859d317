using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using RftFunctions.Durable.AzureStorage;

namespace RftFunctions.Durable.Worker;

/// <summary>A received queue message, its decoded content and the queue it came from.</summary>
internal sealed record ReceivedMessage(QueueClient Queue, QueueMessage Raw, TaskMessage Message)
{
    /// <summary>The latest pop receipt (changes when the visibility is renewed).</summary>
    public string PopReceipt { get; set; } = Raw.PopReceipt;

    /// <summary>How many times the message has been delivered, this delivery included (local hand-offs count).</summary>
    public long Deliveries => Message.Deliveries(Raw.DequeueCount);
}
