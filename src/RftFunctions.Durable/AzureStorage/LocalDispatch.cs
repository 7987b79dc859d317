using System.Collections.Concurrent;
using Azure.Storage.Queues.Models;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>
/// Hands a message this worker sends to a consumer in the same worker without a receive round trip: the message is
/// still written to its queue (so a crash loses nothing), but hidden for the queue's visibility timeout, and the
/// consumer gets its content at once and the send's pop receipt when the send returns, and then owns it exactly as
/// if it had received it. A control message goes to the partition's inbox while this worker holds the partition; a
/// work item goes to the pool's processor only when it has a free slot right now (otherwise another worker should be
/// able to take it at once). The sender still waits for the send, so its ordering rules (a result stored before its
/// work item is deleted, outbound messages stored before the history write) hold unchanged.
/// </summary>
internal sealed class LocalDispatch
{
    private readonly ConcurrentDictionary<string, ControlInbox> _inboxes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ILocalWorkItemConsumer> _consumers = new(StringComparer.Ordinal);

    /// <summary>Opens the inbox of a control queue whose partition this worker now owns.</summary>
    public ControlInbox OpenInbox(string queueName)
    {
        var inbox = new ControlInbox();
        _inboxes[queueName] = inbox;
        return inbox;
    }

    /// <summary>Unregisters an inbox (already closed by its owner).</summary>
    public void RemoveInbox(string queueName, ControlInbox inbox) => _inboxes.TryRemove(KeyValuePair.Create(queueName, inbox));

    /// <summary>The open inbox of a control queue, or null when this worker does not hold its partition.</summary>
    public ControlInbox? Inbox(string queueName) => _inboxes.TryGetValue(queueName, out var inbox) && inbox.IsOpen ? inbox : null;

    public void AddConsumer(string queueName, ILocalWorkItemConsumer consumer) => _consumers[queueName] = consumer;

    public void RemoveConsumer(string queueName, ILocalWorkItemConsumer consumer) => _consumers.TryRemove(KeyValuePair.Create(queueName, consumer));

    /// <summary>The local processor of a work-item queue with a slot reserved for the caller, or null.</summary>
    public ILocalWorkItemConsumer? ReserveConsumer(string queueName) =>
        _consumers.TryGetValue(queueName, out var consumer) && consumer.TryReserveSlot() ? consumer : null;
}

/// <summary>A pool's processor as <see cref="LocalDispatch"/> sees it.</summary>
internal interface ILocalWorkItemConsumer
{
    /// <summary>Takes one of the pool's slots if one is free now.</summary>
    bool TryReserveSlot();

    /// <summary>Runs a work item with the slot reserved before; <paramref name="stored"/> is its hidden send.</summary>
    void RunReserved(TaskMessage message, Task<QueueMessage> stored);
}

/// <summary>A control message handed to a partition's loop: its content, and its send into the queue (hidden).</summary>
internal sealed record HandedOffMessage(TaskMessage Message, Task<QueueMessage> Stored);

/// <summary>Control messages handed to the loop of one owned partition; closed when the partition is released.</summary>
internal sealed class ControlInbox
{
    private readonly Lock _lock = new();
    private List<HandedOffMessage>? _messages = [];

    public bool IsOpen
    {
        get
        {
            lock (_lock) return _messages is not null;
        }
    }

    /// <summary>False when the inbox is closed: the caller must make the message visible again.</summary>
    public bool TryPost(HandedOffMessage message)
    {
        lock (_lock)
        {
            if (_messages is null) return false;
            _messages.Add(message);
            return true;
        }
    }

    public List<HandedOffMessage> TakeAll()
    {
        lock (_lock)
        {
            if (_messages is not { Count: > 0 } messages) return [];
            _messages = [];
            return messages;
        }
    }

    /// <summary>Closes the inbox and returns what it still held (to be made visible for the next owner).</summary>
    public List<HandedOffMessage> Close()
    {
        lock (_lock)
        {
            var rest = _messages ?? [];
            _messages = null;
            return rest;
        }
    }
}
