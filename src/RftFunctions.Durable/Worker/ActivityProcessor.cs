using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;

namespace RftFunctions.Durable.Worker;

/// <summary>
/// Serves one worker pool: polls the pool's work-item queue, runs activities up to the pool's concurrency limit,
/// renews each message's visibility while its activity runs, and sends the result to the orchestration's control queue
/// BEFORE deleting the work item (at-least-once). A message delivered more than MaxDeliveryAttempts times is poison:
/// the orchestration receives a TaskFailed with the reason and the message is moved aside.
/// </summary>
internal sealed class ActivityProcessor(
    TaskHub hub,
    DurableTaskRegistry registry,
    IServiceProvider services,
    ILogger logger,
    string pool,
    int concurrency) : ILocalWorkItemConsumer
{
    private readonly QueueClient _queue = hub.WorkItemQueue(pool);
    private readonly ResultBatcher _results = new(hub);

    // A slot bounds running activity code; it is freed as soon as the code returns, so the next message is
    // received while the previous result is still being sent and its work item deleted.
    private readonly PoolSlots _slots = new(concurrency);
    private readonly HashSet<Task> _inflight = [];
    private CancellationToken _stopping = new(canceled: true);

    public string Pool => pool;

    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new PollingBackoff(hub.Options.StorageProvider.MaxQueuePollingInterval);
        var visibility = hub.Options.StorageProvider.WorkItemQueueVisibilityTimeout;
        var slots = _slots;
        _stopping = stopping;
        hub.Local.AddConsumer(_queue.Name, this);
        while (!stopping.IsCancellationRequested)
        {
            lock (_inflight) _inflight.RemoveWhere(t => t.IsCompleted);
            try
            {
                await slots.AcquireForPollAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            var free = slots.Free + 1;
            QueueMessage[] messages;
            try
            {
                messages = (await _queue.ReceiveMessagesAsync(Math.Min(32, free), visibility, stopping).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                slots.ReleasePollSlot();
                break;
            }
            catch (RequestFailedException ex)
            {
                slots.ReleasePollSlot();
                logger.LogWarning(ex, "Receiving from {Queue} failed; retrying", _queue.Name);
                await Delay(TimeSpan.FromSeconds(1), stopping).ConfigureAwait(false);
                continue;
            }
            if (messages.Length == 0)
            {
                slots.ReleasePollSlot();
                await WaitForWorkAsync(backoff.Next(), stopping).ConfigureAwait(false);
                continue;
            }
            backoff.Reset();
            var kept = slots.KeepPollSlot();
            for (int i = 0; i < messages.Length; i++)
            {
                // The first slot is held unless a hand-off took it, and the others were free when the batch was asked
                // for; a hand-off may have taken some since, so wait for them rather than run over the limit.
                if (i > 0 || !kept) await slots.AcquireAsync(CancellationToken.None).ConfigureAwait(false);
                var released = 0;
                void ReleaseSlot()
                {
                    if (Interlocked.Exchange(ref released, 1) == 0) slots.Release();
                }
                var raw = messages[i];
                Track(RunOneAsync(raw, ReleaseSlot, stopping));
            }
        }
        hub.Local.RemoveConsumer(_queue.Name, this);
        while (true)
        {
            Task[] running;
            lock (_inflight) running = [.. _inflight.Where(t => !t.IsCompleted)];
            if (running.Length == 0) break;
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private void Track(Task task)
    {
        lock (_inflight) _inflight.Add(task);
    }

    /// <inheritdoc/>
    public bool TryReserveSlot() => !_stopping.IsCancellationRequested && _slots.TryReserve();

    /// <inheritdoc/>
    public void RunReserved(TaskMessage message, Task<QueueMessage> stored)
    {
        var released = 0;
        void ReleaseSlot()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) _slots.Release();
        }
        Track(RunHandedOffAsync(new ReceivedMessage(_queue, stored, message), ReleaseSlot, _stopping));
    }

    private async Task RunHandedOffAsync(ReceivedMessage received, Action releaseSlot, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await RunAsync(received, releaseSlot, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            logger.LogError(ex, "Handed-off work item of instance {InstanceId} in {Queue} could not be processed", received.Message.InstanceId, _queue.Name);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the message will be delivered again.
        }
        finally
        {
            releaseSlot();
        }
    }

    private async Task WaitForWorkAsync(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await LocalQueueSignals.WaitAsync(hub.Account, _queue.Name, delay, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static async Task Delay(TimeSpan delay, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(delay, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RunOneAsync(QueueMessage raw, Action releaseSlot, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await ProcessAsync(raw, releaseSlot, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            // The message reappears after its visibility timeout and is retried (and eventually counted as poison).
            logger.LogError(ex, "Activity message {MessageId} in {Queue} could not be processed", raw.MessageId, _queue.Name);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Shutting down: the message will be delivered again.
        }
        finally
        {
            releaseSlot();
        }
    }

    private async Task ProcessAsync(QueueMessage raw, Action releaseSlot, CancellationToken stopping)
    {
        TaskMessage message;
        try
        {
            message = await TaskMessage.DecodeAsync(raw.Body.ToString(), hub.Payloads, stopping).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or RequestFailedException or InvalidDataException)
        {
            await PoisonHandling.MoveAsideAsync(hub, _queue, raw, $"work item cannot be decoded: {ex.Message}", logger, stopping).ConfigureAwait(false);
            return;
        }
        await RunAsync(new ReceivedMessage(_queue, raw, message), releaseSlot, stopping).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a work item's invocations and settles it. For a hand-off whose send is still under way, results and the
    /// delete wait for the send; if it failed, the results are dropped (the episode that sent it fails and retries).
    /// </summary>
    private async Task RunAsync(ReceivedMessage received, Action releaseSlot, CancellationToken stopping)
    {
        var message = received.Message;
        DurableMetrics.QueueLatency.Record(Math.Max(0, (DateTime.UtcNow - message.SentAt).TotalMilliseconds));
        var invocations = message.AllEvents;
        var instanceId = message.InstanceId;
        var deliveries = received.Deliveries;
        if (deliveries > 1) DurableMetrics.ActivityRedeliveries.Add(invocations.Count);
        if (deliveries > hub.Options.MaxDeliveryAttempts)
        {
            var reason = $"Activity '{invocations[0].Name}' (#{string.Join(",#", invocations.Select(e => e.EventId))}) of instance '{instanceId}' was delivered {deliveries - 1} times " +
                         $"without completing (its worker crashed or overran the visibility timeout); the message was moved to queue '{hub.PoisonQueue.Name}'.";
            var poisoned = invocations.Select(e => Completion(e, null, new FailureDetails("PoisonMessage", reason))).ToList();
            await hub.SendResultsToInstanceAsync(instanceId, poisoned, stopping).ConfigureAwait(false);
            await PoisonHandling.MoveAsideAsync(hub, _queue, await received.Stored.ConfigureAwait(false), reason, logger, stopping).ConfigureAwait(false);
            return;
        }

        // Not linked to the stop: the item stays hidden through the stop grace period, until it is abandoned.
        using var renewal = new CancellationTokenSource();
        var renewing = RenewVisibilityAsync(received, renewal.Token);
        var abandoned = 0;
        // A packed message runs its invocations concurrently; the first uses the slot the receive loop took, each
        // other one waits for a slot of its own, so the pool's limit holds.
        var work = Task.WhenAll(invocations.Select(async (scheduled, i) =>
        {
            var release = releaseSlot;
            if (i > 0)
            {
                await _slots.AcquireAsync(stopping).ConfigureAwait(false);
                release = _slots.Release;
            }
            try
            {
                var completion = await InvokeAsync(scheduled, instanceId, (int)deliveries, message.SentAt, stopping).ConfigureAwait(false);
                // A failure while stopping is most likely the stop itself (a cancelled storage call, a disposed
                // service): redelivered rather than reported. An abandoned work item's results are dropped.
                if (Volatile.Read(ref abandoned) == 0 && !(stopping.IsCancellationRequested && completion.EventType == EventType.TaskFailed))
                {
                    release();
                    release = () => { };
                    // Sent as soon as it is ready (and its work item is stored); the work item is deleted only when all are sent.
                    if (await received.StoredOrNullAsync().ConfigureAwait(false) is not null) await _results.SendAsync(instanceId, completion).ConfigureAwait(false);
                }
                return completion;
            }
            finally
            {
                release();
            }
        }));
        bool finished;
        try
        {
            finished = await FinishesBeforeAbandonAsync(work, stopping).ConfigureAwait(false);
        }
        finally
        {
            releaseSlot();
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }
        if (!finished)
        {
            Interlocked.Exchange(ref abandoned, 1);
            _ = work.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            logger.LogWarning("Stopping: activity {Activity} of instance {InstanceId} did not stop within {Grace}; its work item {MessageId} is abandoned for another worker",
                invocations[0].Name, instanceId, hub.Options.ActivityStopGracePeriod, message.MessageId);
            await AbandonAsync(received).ConfigureAwait(false);
            return;
        }
        var completions = await work.ConfigureAwait(false);
        if (stopping.IsCancellationRequested && completions.Any(c => c.EventType == EventType.TaskFailed))
        {
            await AbandonAsync(received).ConfigureAwait(false); // interrupted by shutdown: let another delivery run it
            return;
        }
        // Every result went out before the work item is deleted: a crash in between re-runs the activities, never loses one.
        DurableMetrics.Activities.Add(completions.Length);
        if (await received.StoredOrNullAsync().ConfigureAwait(false) is not { } raw) return; // never stored: nothing to delete
        try
        {
            await _queue.DeleteMessageAsync(raw.MessageId, received.PopReceipt, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            logger.LogWarning("Work item {MessageId} of instance {InstanceId} was redelivered before it was deleted; the duplicate result will be ignored", raw.MessageId, instanceId);
        }
    }

    /// <summary>True when <paramref name="work"/> finishes, or finishes within the stop grace period after a stop.</summary>
    private async Task<bool> FinishesBeforeAbandonAsync(Task work, CancellationToken stopping)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (stopping.Register(() => stopped.TrySetResult()))
        {
            if (await Task.WhenAny(work, stopped.Task).ConfigureAwait(false) == work) return true;
        }
        using var grace = new CancellationTokenSource(hub.Options.ActivityStopGracePeriod);
        var expired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (grace.Token.Register(() => expired.TrySetResult()))
        {
            return await Task.WhenAny(work, expired.Task).ConfigureAwait(false) == work;
        }
    }

    /// <summary>Makes a work item visible again at once, so another worker runs it without waiting out its visibility.</summary>
    private async Task AbandonAsync(ReceivedMessage message)
    {
        if (await message.StoredOrNullAsync().ConfigureAwait(false) is not { } raw) return;
        try
        {
            await _queue.UpdateMessageAsync(raw.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning(ex, "Abandoning work item {MessageId} failed; it comes back after its visibility timeout", raw.MessageId);
        }
    }

    private async Task<HistoryEvent> InvokeAsync(HistoryEvent scheduled, string instanceId, int deliveryCount, DateTime sentAt, CancellationToken stopping)
    {
        using var span = DurableTracing.Source.StartActivity(DurableTracing.ActivitySpan);
        span?.SetTag("name", scheduled.Name);
        span?.SetTag("instance", instanceId);
        span?.SetTag("pool", pool);
        span?.SetTag("queue_wait_ms", Math.Max(0, (DateTime.UtcNow - sentAt).TotalMilliseconds));
        if (!registry.TryCreateActivity(scheduled.Name ?? "", services, out var activity))
        {
            return Completion(scheduled, null, new FailureDetails("ActivityNotFound", $"No activity named '{scheduled.Name}' is registered in pool '{pool}'."));
        }
        try
        {
            var input = DataConverter.Deserialize(scheduled.Input, activity.InputType);
            var context = new WorkerActivityContext(scheduled.Name!, instanceId, pool, deliveryCount, stopping);
            var output = await activity.RunAsync(context, input).ConfigureAwait(false);
            return Completion(scheduled, DataConverter.Serialize(output), null);
        }
        catch (Exception ex)
        {
            logger.LogDebug(ex, "Activity {Activity} (#{TaskId}) of instance {InstanceId} failed", scheduled.Name, scheduled.EventId, instanceId);
            return Completion(scheduled, null, FailureDetails.FromException(ex));
        }
    }

    private static HistoryEvent Completion(HistoryEvent scheduled, string? result, FailureDetails? failure) =>
        new(failure is null ? EventType.TaskCompleted : EventType.TaskFailed)
        {
            TaskScheduledId = scheduled.EventId,
            ExecutionId = scheduled.ExecutionId,
            Name = scheduled.Name,
            Result = result,
            FailureDetails = failure,
            Timestamp = DateTime.UtcNow,
        };

    /// <summary>Keeps a running activity's message hidden, renewing at half the visibility timeout.</summary>
    private async Task RenewVisibilityAsync(ReceivedMessage message, CancellationToken cancellationToken)
    {
        var visibility = hub.Options.StorageProvider.WorkItemQueueVisibilityTimeout;
        if (await message.StoredOrNullAsync().ConfigureAwait(false) is not { } raw) return;
        try
        {
            while (true)
            {
                await Task.Delay(visibility / 2, cancellationToken).ConfigureAwait(false);
                var response = await _queue.UpdateMessageAsync(raw.MessageId, message.PopReceipt, visibilityTimeout: visibility, cancellationToken: cancellationToken).ConfigureAwait(false);
                message.PopReceipt = response.Value.PopReceipt;
            }
        }
        catch (OperationCanceledException)
        {
            // The activity finished.
        }
        catch (RequestFailedException ex)
        {
            logger.LogWarning(ex, "Renewing work item {MessageId} failed; another worker may run it too", raw.MessageId);
        }
    }

    private sealed class WorkerActivityContext(TaskName name, string instanceId, string pool, int deliveryCount, CancellationToken cancellationToken) : TaskActivityContext
    {
        public override TaskName Name => name;

        public override string InstanceId => instanceId;

        public override string Pool => pool;

        public override int DeliveryCount => deliveryCount;

        public override CancellationToken CancellationToken => cancellationToken;
    }
}
