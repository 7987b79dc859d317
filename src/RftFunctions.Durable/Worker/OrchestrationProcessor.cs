using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;

namespace RftFunctions.Durable.Worker;

/// <summary>How an attempt to run an episode ended.</summary>
internal enum EpisodeOutcome
{
    /// <summary>History, instance row and message deletes were written.</summary>
    Committed,

    /// <summary>Another worker changed the instance first; this worker's results were dropped.</summary>
    Conflict,

    /// <summary>No message needed an episode (duplicates, early timers, deferred completions).</summary>
    NothingToRun,
}

/// <summary>
/// Runs orchestration episodes for control-queue messages: load history (or reuse the cached copy when the sentinel
/// ETag is unchanged), decide what each message means, replay the code, then commit in DurableTask.AzureStorage's
/// order: 1) send outbound messages, 2) write history + sentinel under the ETag, 3) upsert the Instances row,
/// 4) delete the consumed messages.
/// </summary>
internal sealed class OrchestrationProcessor(
    TaskHub hub,
    DurableTaskRegistry registry,
    IServiceProvider services,
    ILoggerFactory loggerFactory,
    string workerId)
{
    private static readonly TimeSpan RetryLater = TimeSpan.FromSeconds(1);
    private readonly ILogger _logger = loggerFactory.CreateLogger("RftFunctions.Durable.Orchestration");
    private readonly ConcurrentDictionary<string, (InstanceHistory History, PartitionSession? Session)> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _concurrency = new(hub.Options.MaxConcurrentOrchestratorFunctions);

    /// <summary>Processes one batch from a control queue: one episode per instance, instances in parallel.</summary>
    public async Task ProcessBatchAsync(QueueClient queue, IEnumerable<QueueMessage> batch, IEnumerable<HandedOffMessage> handedOff, PartitionSession? session, CancellationToken cancellationToken)
    {
        var decoded = handedOff.Select(m => new ReceivedMessage(queue, m.Stored, m.Message)).ToList();
        foreach (var raw in batch)
        {
            try
            {
                var message = await TaskMessage.DecodeAsync(raw.Body.ToString(), hub.Payloads, cancellationToken).ConfigureAwait(false);
                DurableMetrics.QueueLatency.Record(Math.Max(0, (DateTime.UtcNow - message.SentAt).TotalMilliseconds));
                decoded.Add(new ReceivedMessage(queue, raw, message));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or RequestFailedException or InvalidDataException or FormatException)
            {
                await PoisonHandling.MoveAsideAsync(hub, queue, raw, $"control message cannot be decoded: {ex.Message}", _logger, cancellationToken).ConfigureAwait(false);
            }
        }
        await Task.WhenAll(decoded.GroupBy(m => m.Message.InstanceId, StringComparer.Ordinal).Select(async group =>
        {
            await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await ProcessInstanceAsync(group.Key, [.. group], session, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Messages stay hidden until their visibility timeout and are then retried, but not forever.
                _logger.LogError(ex, "Episode of instance {InstanceId} failed on worker {WorkerId}; its messages will be retried", group.Key, workerId);
                if (group.Max(m => m.Deliveries) >= hub.Options.MaxDeliveryAttempts)
                {
                    await FailUnprocessableAsync(group.Key, [.. group], ex, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _concurrency.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one episode. Within a partition loop (<paramref name="session"/> set), the loop may take its next batch as
    /// soon as the history is written: the instance row and the message deletes finish in the background, after the
    /// same instance's previous ones, and the loop waits for all of them before it gives the partition up.
    /// </summary>
    public async Task<EpisodeOutcome> ProcessInstanceAsync(string instanceId, IReadOnlyList<ReceivedMessage> messages, PartitionSession? session, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var span = DurableTracing.Source.StartActivity(DurableTracing.EpisodeSpan);
        Episode episode;
        EpisodeOutcome outcome;
        try
        {
            episode = await PrepareAsync(instanceId, messages, session, cancellationToken).ConfigureAwait(false);
            outcome = await CommitHistoryAsync(episode, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            span?.Dispose();
            throw;
        }
        if (outcome != EpisodeOutcome.Committed)
        {
            EndSpan(span, episode, outcome, messages);
            return outcome;
        }
        if (session is null)
        {
            try
            {
                await FinishAsync(episode, Task.CompletedTask, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                EndSpan(span, episode, outcome, messages, started);
            }
            return outcome;
        }
        session.TrackTail(instanceId, FinishInBackgroundAsync(episode, session.TailOf(instanceId), span, messages, started));
        return outcome;
    }

    private async Task FinishInBackgroundAsync(Episode episode, Task previous, System.Diagnostics.Activity? span, IReadOnlyList<ReceivedMessage> messages, long started)
    {
        await Task.Yield();
        try
        {
            await FinishAsync(episode, previous, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The history is written; unsettled messages come back after their visibility timeout as duplicates.
            _logger.LogError(ex, "Instance row or message deletes of instance {InstanceId} failed on worker {WorkerId} after its history was written", episode.InstanceId, workerId);
        }
        finally
        {
            EndSpan(span, episode, EpisodeOutcome.Committed, messages, started);
        }
    }

    private static void EndSpan(System.Diagnostics.Activity? span, Episode episode, EpisodeOutcome outcome, IReadOnlyList<ReceivedMessage> messages, long? started = null)
    {
        if (started is { } since) DurableMetrics.EpisodeDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(since).TotalMilliseconds);
        if (span is null) return;
        span.SetTag("instance", episode.InstanceId);
        span.SetTag("outcome", outcome.ToString());
        span.SetTag("messages", messages.Count);
        span.SetTag("queue_wait_ms", messages.Max(m => Math.Max(0, (episode.Now - m.Message.SentAt).TotalMilliseconds)));
        span.SetTag("continue_as_new", episode.ContinueAsNewExecutionId is not null);
        span.SetTag("history", episode.HistorySource.ToString().ToLowerInvariant());
        foreach (var (phase, ms) in episode.Phases) span.SetTag(phase, ms);
        span.Dispose();
    }

    /// <summary>Loads state and runs the code; writes nothing except message deferrals.</summary>
    public Task<Episode> PrepareAsync(string instanceId, IReadOnlyList<ReceivedMessage> messages, CancellationToken cancellationToken) =>
        PrepareAsync(instanceId, messages, null, cancellationToken);

    /// <summary>Loads state (within <paramref name="session"/>, the partition holding it runs in) and runs the code.</summary>
    public async Task<Episode> PrepareAsync(string instanceId, IReadOnlyList<ReceivedMessage> messages, PartitionSession? session, CancellationToken cancellationToken)
    {
        InstanceHistory history;
        HistorySource source;
        var loading = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            (history, source) = await LoadHistoryAsync(instanceId, session, cancellationToken).ConfigureAwait(false);
        }
        catch (HistoryCorruptException ex)
        {
            return await CorruptHistoryEpisodeAsync(instanceId, messages, ex, cancellationToken).ConfigureAwait(false);
        }
        var now = DateTime.UtcNow;
        var episode = new Episode(instanceId, history, now) { Session = session, HistorySource = source };
        episode.Time("load_ms", loading);
        var state = new ReplayState(history.Events);
        string? executionId = history.ExecutionId;
        bool? pendingInstance = null;

        // A start goes first so events that arrived with it apply to the new execution.
        foreach (var m in messages.OrderBy(m => m.Message.Event.EventType == EventType.ExecutionStarted ? 0 : 1).ThenBy(m => m.Message.SentAt))
        {
            var e = m.Message.Event;
            if (m.Message.Events is { } batch)
            {
                ApplyResultBatch(episode, state, executionId, m, batch);
                continue;
            }
            if (e.FireAt is { } fireAt && fireAt > now && e.EventType is EventType.TimerFired or EventType.ExecutionStarted)
            {
                // Timers and scheduled starts beyond the queue's 7-day delay hop in chunks until due.
                var remaining = fireAt - now;
                episode.Defer(m, remaining < hub.Options.StorageProvider.MaxTimerChunk ? remaining : hub.Options.StorageProvider.MaxTimerChunk);
                continue;
            }
            if (e.EventType == EventType.ExecutionStarted)
            {
                if (state.Started && e.ExecutionId == executionId)
                {
                    episode.Consume(m); // duplicate delivery
                }
                else if (state.Started && !state.Terminal)
                {
                    _logger.LogWarning("Dropping start of execution {ExecutionId} for running instance {InstanceId}", e.ExecutionId, instanceId);
                    episode.Consume(m);
                }
                else
                {
                    executionId = e.ExecutionId ?? Guid.NewGuid().ToString("N");
                    state = new ReplayState([]);
                    state.Start(e);
                    episode.NewExecution = true;
                    episode.NewEvents.Clear();
                    episode.NewEvents.Add(e with { CarriedEvents = null, InstanceId = instanceId, ExecutionId = executionId });
                    episode.NewEvents.AddRange(e.CarriedEvents ?? []);
                    episode.Consume(m);
                }
                continue;
            }
            if (!state.Started)
            {
                // Not started yet: keep messages for a pending instance (its start may be delayed), drop the rest.
                pendingInstance ??= history.HasSentinel
                    || (await hub.Instances.GetAsync(instanceId, false, cancellationToken).ConfigureAwait(false))?.RuntimeStatus == OrchestrationRuntimeStatus.Pending;
                if (pendingInstance == true) episode.Defer(m, RetryLater);
                else
                {
                    _logger.LogWarning("Dropping {EventType} for unknown instance {InstanceId}", e.EventType, instanceId);
                    episode.Consume(m);
                }
                continue;
            }
            if (state.Terminal)
            {
                episode.Consume(m);
                continue;
            }
            if (e.IsCompletion)
            {
                if (e.ExecutionId != executionId || state.Completed.Contains(e.CompletedActionId))
                {
                    episode.Consume(m); // for an earlier execution, or a duplicate of an at-least-once delivery
                }
                else if (!state.Scheduled.Contains(e.CompletedActionId))
                {
                    // The completion overtook the history write that scheduled it: retry shortly.
                    if (m.Deliveries > 60)
                    {
                        _logger.LogWarning("Dropping completion {EventType} #{TaskId} for instance {InstanceId}: nothing scheduled it", e.EventType, e.CompletedActionId, instanceId);
                        episode.Consume(m);
                    }
                    else episode.Defer(m, RetryLater);
                }
                else
                {
                    state.Completed.Add(e.CompletedActionId);
                    episode.NewEvents.Add(e with { ExecutionId = null });
                    episode.Consume(m);
                }
                continue;
            }
            episode.NewEvents.Add(e);
            episode.Consume(m);
        }
        episode.ExecutionId = executionId;
        if (episode.NewEvents.Count == 0) return episode;
        var replaying = System.Diagnostics.Stopwatch.GetTimestamp();
        Execute(episode, episode.NewExecution ? [] : history.Events, state.StartEvent!);
        episode.Time("replay_ms", replaying);
        return episode;
    }

    /// <summary>
    /// A message holding several activity results is applied whole or deferred whole: if any result overtook the
    /// history write that scheduled it, the message waits; results already recorded are dropped as duplicates.
    /// </summary>
    private void ApplyResultBatch(Episode episode, ReplayState state, string? executionId, ReceivedMessage m, IReadOnlyList<HistoryEvent> batch)
    {
        if (!state.Started || state.Terminal)
        {
            episode.Consume(m);
            return;
        }
        var current = batch.Where(e => e.ExecutionId == executionId && !state.Completed.Contains(e.CompletedActionId)).ToList();
        if (current.Any(e => !state.Scheduled.Contains(e.CompletedActionId)) && m.Deliveries <= 60)
        {
            episode.Defer(m, RetryLater);
            return;
        }
        foreach (var e in current.Where(e => state.Scheduled.Contains(e.CompletedActionId)))
        {
            if (!state.Completed.Add(e.CompletedActionId)) continue;
            episode.NewEvents.Add(e with { ExecutionId = null });
        }
        episode.Consume(m);
    }

    private void Execute(Episode episode, IReadOnlyList<HistoryEvent> past, HistoryEvent start)
    {
        var now = episode.Now;
        var startedEvent = new HistoryEvent(EventType.OrchestratorStarted) { Timestamp = now };
        ExecutionResult result;
        if (registry.TryCreateOrchestrator(start.Name ?? "", services, out var orchestrator))
        {
            result = OrchestrationExecutor.Execute(orchestrator, past, [startedEvent, .. episode.NewEvents], registry, loggerFactory);
        }
        else
        {
            result = new ExecutionResult([], new ExecutionCompletion(OrchestrationRuntimeStatus.Failed)
            {
                FailureDetails = new FailureDetails("OrchestratorNotFound", $"No orchestrator named '{start.Name}' is registered on worker '{workerId}'."),
            }, null, false);
        }
        episode.Result = result;
        episode.Start = start;
        var events = new List<HistoryEvent> { startedEvent };
        events.AddRange(episode.NewEvents);
        events.AddRange(result.NewActions.Select(a => a.ToHistoryEvent(now)));
        if (result.Completion is { IsContinueAsNew: false } done)
        {
            events.Add(new HistoryEvent(EventType.ExecutionCompleted)
            {
                Timestamp = now,
                Status = done.Status,
                Result = done.Output,
                FailureDetails = done.FailureDetails,
            });
        }
        events.Add(new HistoryEvent(EventType.OrchestratorCompleted) { Timestamp = now });
        episode.HistoryToWrite = events;
        PlanOutbound(episode, past, start);
    }

    private void PlanOutbound(Episode episode, IReadOnlyList<HistoryEvent> past, HistoryEvent start)
    {
        var result = episode.Result!;
        var executionId = episode.ExecutionId!;
        var now = episode.Now;
        var id = episode.InstanceId;
        foreach (var action in result.NewActions)
        {
            switch (action.Kind)
            {
                case EventType.TaskScheduled:
                    break; // packed per pool below
                case EventType.TimerCreated:
                    var fired = new HistoryEvent(EventType.TimerFired) { TimerId = action.Id, FireAt = action.FireAt, ExecutionId = executionId, Timestamp = now };
                    var delay = action.FireAt!.Value - DateTime.UtcNow;
                    var chunk = hub.Options.StorageProvider.MaxTimerChunk;
                    episode.Outbound.Add(ct => hub.SendToInstanceAsync(id, fired, delay < chunk ? delay : chunk, ct));
                    break;
                case EventType.SubOrchestrationInstanceCreated:
                    var childStart = new HistoryEvent(EventType.ExecutionStarted)
                    {
                        Name = action.Name,
                        Input = action.Input,
                        InstanceId = action.InstanceId,
                        ExecutionId = Guid.NewGuid().ToString("N"),
                        ParentInstanceId = id,
                        ParentName = start.Name,
                        ParentExecutionId = executionId,
                        TaskScheduledId = action.Id,
                        Timestamp = now,
                    };
                    episode.Outbound.Add(async ct =>
                    {
                        await hub.Instances.TryCreatePendingAsync(new InstanceState(action.InstanceId!, action.Name, OrchestrationRuntimeStatus.Pending)
                        {
                            ExecutionId = childStart.ExecutionId,
                            CreatedAt = now,
                            LastUpdatedAt = now,
                            Input = action.Input,
                        }, replaceFinished: true, ct).ConfigureAwait(false);
                        await hub.SendToInstanceAsync(action.InstanceId!, childStart, null, ct).ConfigureAwait(false);
                    });
                    break;
                case EventType.EventSent:
                    var raised = new HistoryEvent(EventType.EventRaised) { Name = action.Name, Input = action.Input, Timestamp = now };
                    episode.Outbound.Add(ct => hub.SendToInstanceAsync(action.InstanceId!, raised, null, ct));
                    break;
                default:
                    break;
            }
        }
        foreach (var pool in result.NewActions.Where(a => a.Kind == EventType.TaskScheduled).GroupBy(a => a.Pool ?? DurableTaskRegistry.DefaultPool))
        {
            var invocations = pool.Select(a => a.ToHistoryEvent(now) with { ExecutionId = executionId }).ToList();
            foreach (var pack in invocations.Chunk(PackSize(invocations.Count)))
            {
                episode.Outbound.Add(ct => hub.SendWorkItemsAsync(id, pack, ct));
            }
        }
        if (result.Completion is not { } completion) return;
        if (completion.IsContinueAsNew)
        {
            var next = start with
            {
                Input = completion.Output,
                ExecutionId = Guid.NewGuid().ToString("N"),
                Timestamp = now,
                FireAt = null,
                CarriedEvents = completion.CarriedEvents,
            };
            episode.ContinueAsNewExecutionId = next.ExecutionId;
            episode.Outbound.Add(ct => hub.SendToInstanceAsync(id, next, null, ct));
            return;
        }
        if (start.ParentInstanceId is { } parent)
        {
            var toParent = completion.Status == OrchestrationRuntimeStatus.Completed
                ? new HistoryEvent(EventType.SubOrchestrationInstanceCompleted) { Result = completion.Output }
                : new HistoryEvent(EventType.SubOrchestrationInstanceFailed)
                {
                    FailureDetails = completion.FailureDetails
                        ?? new FailureDetails("OrchestrationTerminated", $"Sub-orchestration '{id}' was terminated: {completion.Output}"),
                };
            toParent = toParent with { TaskScheduledId = start.TaskScheduledId, ExecutionId = start.ParentExecutionId, Timestamp = now, Name = start.Name };
            episode.Outbound.Add(ct => hub.SendToInstanceAsync(parent, toParent, null, ct));
        }
        if (completion.Status == OrchestrationRuntimeStatus.Terminated && episode.NewEvents.Any(e => e.EventType == EventType.ExecutionTerminated && e.Recursive))
        {
            var all = past.Concat(episode.HistoryToWrite!).ToList();
            var finished = all.Where(e => e.EventType is EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed).Select(e => e.TaskScheduledId).ToHashSet();
            foreach (var child in all.Where(e => e.EventType == EventType.SubOrchestrationInstanceCreated && !finished.Contains(e.EventId)))
            {
                var terminate = new HistoryEvent(EventType.ExecutionTerminated) { Input = completion.Output, Recursive = true, Timestamp = now };
                episode.Outbound.Add(ct => hub.SendToInstanceAsync(child.InstanceId!, terminate, null, ct));
            }
        }
    }

    /// <summary>
    /// Large fan-outs pack several invocations into one work-item message (up to 16, keeping at least 64 messages so
    /// workers still share the load): queue operations per activity, the runtime's main cost, drop by the pack size.
    /// Fan-outs of 64 or fewer keep one message per activity, so long GPU or CPU activities spread one by one.
    /// </summary>
    internal static int PackSize(int invocations) => invocations <= 64 ? 1 : Math.Min(16, (invocations + 63) / 64);

    /// <summary>Writes an episode in checkpoint order; returns Conflict when the sentinel ETag moved.</summary>
    public async Task<EpisodeOutcome> CommitAsync(Episode episode, CancellationToken cancellationToken)
    {
        var outcome = await CommitHistoryAsync(episode, cancellationToken).ConfigureAwait(false);
        if (outcome == EpisodeOutcome.Committed) await FinishAsync(episode, Task.CompletedTask, cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Steps 1 and 2: outbound messages, then the history under the ETag (the episode's commit point).</summary>
    private async Task<EpisodeOutcome> CommitHistoryAsync(Episode episode, CancellationToken cancellationToken)
    {
        if (episode.HistoryToWrite is null)
        {
            await SettleMessagesAsync(episode, cancellationToken).ConfigureAwait(false);
            return EpisodeOutcome.NothingToRun;
        }
        var phase = System.Diagnostics.Stopwatch.GetTimestamp();
        // 1) Outbound messages first: a crash after this point re-runs the episode and sends duplicates, which
        //    receivers ignore; the reverse order could lose messages.
        await Parallel.ForEachAsync(episode.Outbound, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken },
            async (send, ct) => await send(ct).ConfigureAwait(false)).ConfigureAwait(false);
        phase = episode.Time("outbound_ms", phase);

        // 2) History + sentinel under the ETag read at load time.
        var continueAsNew = episode.ContinueAsNewExecutionId is not null;
        var executionId = episode.ContinueAsNewExecutionId ?? episode.ExecutionId!;
        var toWrite = continueAsNew ? [] : episode.HistoryToWrite;
        var etag = await hub.History.CheckpointAsync(episode.History, executionId, toWrite, episode.NewExecution || continueAsNew, cancellationToken).ConfigureAwait(false);
        phase = episode.Time("checkpoint_ms", phase);
        if (etag is null)
        {
            _cache.TryRemove(episode.InstanceId, out _);
            DurableMetrics.EpisodeConflicts.Add(1);
            _logger.LogWarning("Episode of instance {InstanceId} dropped on worker {WorkerId}: another worker updated its history first", episode.InstanceId, workerId);
            // Let the owner see the messages again at once.
            foreach (var m in episode.Consumed) await TryUpdateVisibilityAsync(m, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            return EpisodeOutcome.Conflict;
        }
        var past = episode.NewExecution ? [] : episode.History.Events;
        var committed = continueAsNew ? [] : past.Concat(toWrite).ToList();
        var completion = episode.Result!.Completion;
        if (hub.Options.ExtendedSessionsEnabled && (completion is null || completion.IsContinueAsNew))
        {
            if (_cache.Count > 10_000) _cache.Clear();
            _cache[episode.InstanceId] = (new InstanceHistory(episode.InstanceId, executionId, committed, etag), episode.Session);
        }
        else
        {
            _cache.TryRemove(episode.InstanceId, out _);
        }

        var start = episode.Start!;
        var status = completion is null
            ? (episode.Result.IsSuspended ? OrchestrationRuntimeStatus.Suspended : OrchestrationRuntimeStatus.Running)
            : completion.Status;
        episode.Row = new InstanceState(episode.InstanceId, start.Name ?? "", status)
        {
            ExecutionId = executionId,
            CreatedAt = start.Timestamp,
            LastUpdatedAt = episode.Now,
            CompletedAt = completion is { IsContinueAsNew: false } ? episode.Now : null,
            Input = continueAsNew ? completion!.Output : start.Input,
            Output = completion is { IsContinueAsNew: false } ? completion.Output : null,
            CustomStatus = episode.Result.CustomStatus,
            FailureDetails = completion?.FailureDetails,
        };
        DurableMetrics.Episodes.Add(1);
        _logger.LogDebug("Episode committed for instance {InstanceId} execution {ExecutionId}: {EventCount} events, {ActionCount} new actions, status {Status}",
            episode.InstanceId, executionId, toWrite.Count, episode.Result.NewActions.Count, status);
        return EpisodeOutcome.Committed;
    }

    /// <summary>
    /// Steps 3 and 4 of a committed episode, together: the Instances row (the read model; after the same instance's
    /// previous row, so rows never go back in time) and the deletes of the consumed messages (both only after the
    /// history write, so a crash before them re-delivers messages the history already holds: duplicates, ignored).
    /// </summary>
    private async Task FinishAsync(Episode episode, Task previous, CancellationToken cancellationToken)
    {
        var settling = TimedAsync(() => SettleMessagesAsync(episode, cancellationToken));
        var writing = TimedAsync(async () =>
        {
            await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await hub.Instances.UpsertAsync(episode.Row!, cancellationToken).ConfigureAwait(false);
        });
        try
        {
            await Task.WhenAll(settling, writing).ConfigureAwait(false);
        }
        finally
        {
            if (writing.IsCompletedSuccessfully) episode.Phases.Add(("instance_ms", writing.Result));
            if (settling.IsCompletedSuccessfully) episode.Phases.Add(("settle_ms", settling.Result));
        }
    }

    private static async Task<double> TimedAsync(Func<Task> work)
    {
        var since = System.Diagnostics.Stopwatch.GetTimestamp();
        await work().ConfigureAwait(false);
        return System.Diagnostics.Stopwatch.GetElapsedTime(since).TotalMilliseconds;
    }

    private async Task SettleMessagesAsync(Episode episode, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(episode.Consumed, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (m, ct) =>
        {
            try
            {
                if (await m.StoredOrNullAsync().ConfigureAwait(false) is not { } raw) return; // its send failed: nothing stored
                await m.Queue.DeleteMessageAsync(raw.MessageId, m.PopReceipt, ct).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Its visibility expired and another receiver holds it; that receiver will see a duplicate.
            }
        }).ConfigureAwait(false);
        foreach (var (m, delay) in episode.Deferred) await TryUpdateVisibilityAsync(m, delay, cancellationToken).ConfigureAwait(false);
    }

    private static async Task TryUpdateVisibilityAsync(ReceivedMessage m, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            if (await m.StoredOrNullAsync().ConfigureAwait(false) is not { } raw) return;
            await m.Queue.UpdateMessageAsync(raw.MessageId, m.PopReceipt, visibilityTimeout: delay, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already redelivered elsewhere.
        }
    }

    /// <summary>
    /// With extended sessions, the history this worker last committed is reused: without any read while the same
    /// uninterrupted holding of the partition lasts and its lease is surely held (only the holder writes), else after
    /// a point read shows the sentinel unchanged. A new holding of the partition (after a release, a takeover or a
    /// restart) always validates, so a history another worker extended meanwhile is reloaded.
    /// </summary>
    private async Task<(InstanceHistory History, HistorySource Source)> LoadHistoryAsync(string instanceId, PartitionSession? session, CancellationToken cancellationToken)
    {
        if (hub.Options.ExtendedSessionsEnabled && _cache.TryGetValue(instanceId, out var cached))
        {
            if (session is not null && ReferenceEquals(cached.Session, session) && session.LeaseSurelyHeld(DateTimeOffset.UtcNow))
            {
                return (cached.History, HistorySource.Memory);
            }
            var etag = await hub.History.ReadSentinelETagAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (etag == cached.History.SentinelETag) return (cached.History, HistorySource.Validated);
            _cache.TryRemove(instanceId, out _);
        }
        return (await hub.History.LoadAsync(instanceId, cancellationToken).ConfigureAwait(false), HistorySource.Storage);
    }

    /// <summary>Unreadable history cannot be replayed: fail the instance with the reason, keeping the rows for inspection.</summary>
    private async Task<Episode> CorruptHistoryEpisodeAsync(string instanceId, IReadOnlyList<ReceivedMessage> messages, HistoryCorruptException ex, CancellationToken cancellationToken)
    {
        _logger.LogError(ex, "History of instance {InstanceId} is corrupt; failing the instance", instanceId);
        var existing = await hub.Instances.GetAsync(instanceId, true, cancellationToken).ConfigureAwait(false);
        var failure = new FailureDetails("CorruptHistory", ex.Message);
        var now = DateTime.UtcNow;
        await hub.Instances.UpsertAsync(new InstanceState(instanceId, existing?.Name ?? "", OrchestrationRuntimeStatus.Failed)
        {
            ExecutionId = existing?.ExecutionId,
            CreatedAt = existing?.CreatedAt ?? now,
            LastUpdatedAt = now,
            CompletedAt = now,
            Input = existing?.SerializedInput,
            FailureDetails = failure,
        }, cancellationToken).ConfigureAwait(false);
        var episode = new Episode(instanceId, new InstanceHistory(instanceId, null, [], null), now);
        foreach (var m in messages) episode.Consume(m);
        return episode;
    }

    /// <summary>Work that failed on every delivery: fail the instance with the reason and move its messages aside.</summary>
    private async Task FailUnprocessableAsync(string instanceId, IReadOnlyList<ReceivedMessage> messages, Exception ex, CancellationToken cancellationToken)
    {
        try
        {
            var reason = $"Episode failed {messages.Max(m => m.Deliveries)} times: {ex.GetType().Name}: {ex.Message}";
            var existing = await hub.Instances.GetAsync(instanceId, true, cancellationToken).ConfigureAwait(false);
            var now = DateTime.UtcNow;
            await hub.Instances.UpsertAsync(new InstanceState(instanceId, existing?.Name ?? "", OrchestrationRuntimeStatus.Failed)
            {
                ExecutionId = existing?.ExecutionId,
                CreatedAt = existing?.CreatedAt ?? now,
                LastUpdatedAt = now,
                CompletedAt = now,
                Input = existing?.SerializedInput,
                FailureDetails = new FailureDetails("UnprocessableOrchestrationWork", reason, ex.StackTrace),
            }, cancellationToken).ConfigureAwait(false);
            foreach (var m in messages)
            {
                if (await m.StoredOrNullAsync().ConfigureAwait(false) is { } raw) await PoisonHandling.MoveAsideAsync(hub, m.Queue, raw, reason, _logger, cancellationToken, m.PopReceipt).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException storageError)
        {
            _logger.LogError(storageError, "Could not fail unprocessable instance {InstanceId}", instanceId);
        }
    }

    /// <summary>What the committed history already says about scheduled and completed actions.</summary>
    private sealed class ReplayState
    {
        public ReplayState(IReadOnlyList<HistoryEvent> events)
        {
            foreach (var e in events)
            {
                if (e.EventType == EventType.ExecutionStarted) StartEvent = e;
                else if (e.IsScheduledAction) Scheduled.Add(e.EventId);
                else if (e.IsCompletion) Completed.Add(e.CompletedActionId);
                else if (e.EventType == EventType.ExecutionCompleted) Terminal = true;
            }
        }

        public HistoryEvent? StartEvent { get; private set; }

        public bool Started => StartEvent is not null;

        public bool Terminal { get; }

        public HashSet<int> Scheduled { get; } = [];

        public HashSet<int> Completed { get; } = [];

        public void Start(HistoryEvent e) => StartEvent = e;
    }
}

/// <summary>Where an episode's history came from.</summary>
internal enum HistorySource
{
    /// <summary>Read from the History table.</summary>
    Storage,

    /// <summary>This worker's last committed copy, after a point read showed the sentinel unchanged.</summary>
    Validated,

    /// <summary>This worker's last committed copy without any read: the partition has been held throughout.</summary>
    Memory,
}

/// <summary>One prepared episode: what to write and which messages it consumed or deferred.</summary>
internal sealed class Episode(string instanceId, InstanceHistory history, DateTime now)
{
    public string InstanceId { get; } = instanceId;

    public InstanceHistory History { get; } = history;

    /// <summary>The holding of the partition the episode runs in (null outside a partition loop, e.g. in tests).</summary>
    public PartitionSession? Session { get; init; }

    /// <summary>Where the history came from (the episode span's <c>history</c> tag).</summary>
    public HistorySource HistorySource { get; init; } = HistorySource.Storage;

    public DateTime Now { get; } = now;

    public string? ExecutionId { get; set; }

    public bool NewExecution { get; set; }

    public string? ContinueAsNewExecutionId { get; set; }

    public HistoryEvent? Start { get; set; }

    public List<HistoryEvent> NewEvents { get; } = [];

    public ExecutionResult? Result { get; set; }

    public List<HistoryEvent>? HistoryToWrite { get; set; }

    /// <summary>The Instances row to write once the history is committed.</summary>
    public InstanceState? Row { get; set; }

    public List<Func<CancellationToken, Task>> Outbound { get; } = [];

    public List<ReceivedMessage> Consumed { get; } = [];

    public List<(ReceivedMessage Message, TimeSpan Delay)> Deferred { get; } = [];

    public void Consume(ReceivedMessage m) => Consumed.Add(m);

    public void Defer(ReceivedMessage m, TimeSpan delay) => Deferred.Add((m, delay));

    /// <summary>Milliseconds per phase, for the episode span.</summary>
    public List<(string Phase, double Ms)> Phases { get; } = [];

    /// <summary>Records the phase that began at <paramref name="since"/> (a Stopwatch timestamp); returns now.</summary>
    public long Time(string phase, long since)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        Phases.Add((phase, System.Diagnostics.Stopwatch.GetElapsedTime(since, now).TotalMilliseconds));
        return now;
    }
}
