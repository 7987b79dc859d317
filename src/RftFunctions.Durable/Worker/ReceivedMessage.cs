using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using RftFunctions.Durable.AzureStorage;

namespace RftFunctions.Durable.Worker;

/// <summary>
/// A message to process, its decoded content and the queue it belongs to. A received message is stored already; one
/// handed off in this process (<see cref="LocalDispatch"/>) may still be on its way into the queue: its content is
/// processed at once, and what needs the stored message (delete, renew, defer, release) waits for the send.
/// </summary>
internal sealed class ReceivedMessage(QueueClient queue, Task<QueueMessage> stored, TaskMessage message)
{
    private string? _popReceipt;

    public ReceivedMessage(QueueClient queue, QueueMessage raw, TaskMessage message)
        : this(queue, Task.FromResult(raw), message)
    {
    }

    public QueueClient Queue => queue;

    public TaskMessage Message => message;

    /// <summary>The message as stored; faulted when a hand-off's send failed (then there is nothing to settle).</summary>
    public Task<QueueMessage> Stored => stored;

    /// <summary>The latest pop receipt (changes when the visibility is renewed); only once <see cref="Stored"/> is done.</summary>
    public string PopReceipt
    {
        get => _popReceipt ?? stored.Result.PopReceipt;
        set => _popReceipt = value;
    }

    /// <summary>How many times the message has been delivered, this delivery included (local hand-offs count).</summary>
    public long Deliveries => message.Deliveries(stored.IsCompletedSuccessfully ? stored.Result.DequeueCount : 0);

    /// <summary>The stored message, or null when its send failed: whoever sent it saw the failure and will retry.</summary>
    public async Task<QueueMessage?> StoredOrNullAsync()
    {
        try
        {
            return await stored.ConfigureAwait(false);
        }
        catch (Exception)
        {
            return null;
        }
    }
}
