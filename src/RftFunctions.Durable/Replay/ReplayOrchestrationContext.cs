using System.Globalization;
using Microsoft.Extensions.Logging;

namespace RftFunctions.Durable.Replay;

/// <summary>
/// The orchestration context the replay engine drives. Durable calls become pending actions keyed by sequence id;
/// history events either match those actions (scheduled kinds, checked for kind and name) or complete them.
/// </summary>
internal sealed class ReplayOrchestrationContext(
    ITaskOrchestrator orchestrator,
    DurableTaskRegistry registry,
    ILoggerFactory loggerFactory,
    OrchestrationSynchronizationContext syncContext) : TaskOrchestrationContext
{
    private readonly SortedDictionary<int, OrchestratorAction> _pending = [];
    private readonly Dictionary<int, Action<HistoryEvent>> _openTasks = [];
    private readonly Dictionary<string, LinkedList<TaskCompletionSource<string?>>> _eventWaiters = new(StringComparer.OrdinalIgnoreCase);
    private readonly LinkedList<HistoryEvent> _unconsumedEvents = new();
    private readonly List<HistoryEvent> _heldWhileSuspended = [];
    private TaskName _name;
    private string _instanceId = "";
    private ParentOrchestrationInstance? _parent;
    private string? _input;
    private DateTime _currentUtc;
    private int _sequence;
    private int _guidCounter;
    private bool _suspended;
    private Task<object?>? _run;
    private ExecutionCompletion? _completion;
    private (string? Input, bool Preserve)? _continueAsNew;

    public bool IsReplayingValue { get; set; }

    public string? CustomStatus { get; private set; }

    public bool IsFinished => _completion is not null;

    public override TaskName Name => _name;

    public override string InstanceId => _instanceId;

    public override ParentOrchestrationInstance? Parent => _parent;

    public override DateTime CurrentUtcDateTime => _currentUtc;

    public override bool IsReplaying => IsReplayingValue;

    protected override ILoggerFactory LoggerFactory => loggerFactory;

    public override T? GetInput<T>() where T : default => DataConverter.Deserialize<T>(_input);

    /// <summary>Applies one history event, then runs whatever code it unblocked.</summary>
    public void Apply(HistoryEvent e, bool replaying)
    {
        if (_suspended && e.EventType is not (EventType.ExecutionResumed or EventType.ExecutionTerminated or EventType.OrchestratorStarted or EventType.OrchestratorCompleted)
            && !e.IsScheduledAction)
        {
            _heldWhileSuspended.Add(e);
            return;
        }
        switch (e.EventType)
        {
            case EventType.OrchestratorStarted:
                _currentUtc = e.Timestamp;
                break;
            case EventType.OrchestratorCompleted:
                // Everything the code scheduled in a past episode was recorded in that episode.
                if (replaying && _pending.Count > 0)
                {
                    var extra = _pending.Values.First();
                    throw new NonDeterministicOrchestrationException(extra.Id,
                        $"the code scheduled {Describe(extra.Kind)} '{extra.Name}' which the history does not contain.");
                }
                break;
            case EventType.ExecutionStarted:
                Start(e);
                break;
            case EventType.TaskScheduled or EventType.TimerCreated or EventType.SubOrchestrationInstanceCreated or EventType.EventSent:
                MatchScheduled(e);
                break;
            case EventType.TaskCompleted or EventType.TaskFailed or EventType.TimerFired
                or EventType.SubOrchestrationInstanceCompleted or EventType.SubOrchestrationInstanceFailed:
                if (_openTasks.Remove(e.CompletedActionId, out var complete)) complete(e);
                // else: a duplicate delivery, or a timer whose wait was cancelled.
                break;
            case EventType.EventRaised:
                DeliverEvent(e);
                break;
            case EventType.ExecutionSuspended:
                _suspended = true;
                break;
            case EventType.ExecutionResumed:
                _suspended = false;
                var held = _heldWhileSuspended.ToList();
                _heldWhileSuspended.Clear();
                foreach (var h in held) Apply(h, replaying);
                break;
            case EventType.ExecutionTerminated:
                _completion = new ExecutionCompletion(OrchestrationRuntimeStatus.Terminated) { Output = e.Input };
                return;
            default:
                break;
        }
        syncContext.Drain();
        CheckFinished();
    }

    private void Start(HistoryEvent e)
    {
        if (_run is not null) return;
        _name = e.Name!;
        _instanceId = e.InstanceId ?? "";
        _input = e.Input;
        _parent = e.ParentInstanceId is null ? null : new ParentOrchestrationInstance(e.ParentName ?? "", e.ParentInstanceId);
        object? input;
        try
        {
            input = DataConverter.Deserialize(e.Input, orchestrator.InputType);
        }
        catch (System.Text.Json.JsonException ex)
        {
            _run = Task.FromException<object?>(new ArgumentException($"Orchestration input is not a valid {orchestrator.InputType.Name}: {ex.Message}", ex));
            return;
        }
        try
        {
            _run = orchestrator.RunAsync(this, input);
        }
        catch (Exception ex)
        {
            _run = Task.FromException<object?>(ex);
        }
    }

    private void CheckFinished()
    {
        if (_completion is not null || _run is not { IsCompleted: true } run) return;
        if (run.IsFaulted)
        {
            var ex = run.Exception!.InnerExceptions.Count == 1 ? run.Exception.InnerException! : run.Exception;
            _completion = new ExecutionCompletion(OrchestrationRuntimeStatus.Failed) { FailureDetails = FailureDetails.FromException(ex) };
        }
        else if (run.IsCanceled)
        {
            _completion = new ExecutionCompletion(OrchestrationRuntimeStatus.Failed)
            {
                FailureDetails = new FailureDetails(typeof(TaskCanceledException).FullName!, "The orchestrator's task was cancelled."),
            };
        }
        else if (_continueAsNew is { } next)
        {
            _completion = new ExecutionCompletion(OrchestrationRuntimeStatus.Running)
            {
                IsContinueAsNew = true,
                Output = next.Input,
            };
        }
        else
        {
            _completion = new ExecutionCompletion(OrchestrationRuntimeStatus.Completed) { Output = DataConverter.Serialize(run.Result) };
        }
    }

    private void MatchScheduled(HistoryEvent e)
    {
        if (!_pending.Remove(e.EventId, out var action))
        {
            throw new NonDeterministicOrchestrationException(e.EventId,
                $"the history has {Describe(e.EventType)} '{e.Name}' but the code did not schedule it.");
        }
        if (action.Kind != e.EventType || !string.Equals(action.Name, e.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new NonDeterministicOrchestrationException(e.EventId,
                $"the history has {Describe(e.EventType)} '{e.Name}' but the code now schedules {Describe(action.Kind)} '{action.Name}'.");
        }
    }

    private static string Describe(EventType kind) => kind switch
    {
        EventType.TaskScheduled => "activity",
        EventType.TimerCreated => "timer",
        EventType.SubOrchestrationInstanceCreated => "sub-orchestration",
        EventType.EventSent => "event",
        _ => kind.ToString(),
    };

    private OrchestratorAction AddAction(OrchestratorAction action)
    {
        _pending[action.Id] = action;
        return action;
    }

    /// <summary>The episode's outcome; events left unapplied after ContinueAsNew are carried like unconsumed ones.</summary>
    public ExecutionResult BuildResult(IEnumerable<HistoryEvent> unapplied)
    {
        var completion = _completion;
        if (completion is { IsContinueAsNew: true } && _continueAsNew is { Preserve: true })
        {
            completion = completion with
            {
                CarriedEvents = [.. _unconsumedEvents, .. _heldWhileSuspended.Concat(unapplied).Where(e => e.EventType == EventType.EventRaised)],
            };
        }
        // Whatever the history did not match is new in this episode (replay throws on leftovers of past episodes).
        return new([.. _pending.Values], completion, CustomStatus, _suspended);
    }

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) =>
        WithRetry(() => ScheduleActivity<TResult>(name, input), options?.Retry, name);

    private Task<TResult> ScheduleActivity<TResult>(TaskName name, object? input)
    {
        var id = _sequence++;
        AddAction(new OrchestratorAction(EventType.TaskScheduled, id, name.Name)
        {
            Input = DataConverter.Serialize(input),
            Pool = registry.GetActivityPool(name),
        });
        return Await<TResult>(id, name);
    }

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null)
    {
        var instanceId = (options as SubOrchestrationOptions)?.InstanceId;
        return WithRetry(() =>
        {
            var id = _sequence++;
            var childId = instanceId ?? NewGuid().ToString("N");
            AddAction(new OrchestratorAction(EventType.SubOrchestrationInstanceCreated, id, orchestratorName.Name)
            {
                Input = DataConverter.Serialize(input),
                InstanceId = childId,
            });
            return Await<TResult>(id, orchestratorName);
        }, options?.Retry, orchestratorName);
    }

    private Task<TResult> Await<TResult>(int id, TaskName name)
    {
        var tcs = new TaskCompletionSource<TResult>();
        _openTasks[id] = e =>
        {
            if (e.EventType is EventType.TaskFailed or EventType.SubOrchestrationInstanceFailed)
            {
                tcs.SetException(new TaskFailedException(name, id, e.FailureDetails ?? new FailureDetails("Unknown", "no details recorded")));
                return;
            }
            try
            {
                tcs.SetResult(DataConverter.Deserialize<TResult>(e.Result)!);
            }
            catch (System.Text.Json.JsonException ex)
            {
                tcs.SetException(new TaskFailedException(name, id, FailureDetails.FromException(ex)));
            }
        };
        return tcs.Task;
    }

    private async Task<T> WithRetry<T>(Func<Task<T>> call, TaskRetryOptions? retry, TaskName name)
    {
        if (retry is null) return await call();
        var firstAttempt = CurrentUtcDateTime;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (TaskFailedException ex) when (ex.TaskName == name)
            {
                var elapsed = CurrentUtcDateTime - firstAttempt;
                if (!IsReplaying) Worker.DurableMetrics.Retries.Add(1);
                if (retry.Policy is { } policy)
                {
                    if (policy.DelayAfter(attempt, elapsed, ex.FailureDetails) is not { } delay) throw;
                    await CreateTimer(delay, CancellationToken.None);
                }
                else if (!await retry.Handler!(new RetryContext(this, attempt, ex.FailureDetails, elapsed, CancellationToken.None)))
                {
                    throw;
                }
            }
        }
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var id = _sequence++;
        var utc = fireAt.Kind == DateTimeKind.Local ? fireAt.ToUniversalTime() : DateTime.SpecifyKind(fireAt, DateTimeKind.Utc);
        AddAction(new OrchestratorAction(EventType.TimerCreated, id, "timer") { FireAt = utc });
        var tcs = new TaskCompletionSource();
        _openTasks[id] = _ => tcs.TrySetResult();
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                _openTasks.Remove(id);
                tcs.TrySetCanceled(cancellationToken);
            });
        }
        return tcs.Task;
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        for (var node = _unconsumedEvents.First; node is not null; node = node.Next)
        {
            if (string.Equals(node.Value.Name, eventName, StringComparison.OrdinalIgnoreCase))
            {
                _unconsumedEvents.Remove(node);
                return Task.FromResult(DataConverter.Deserialize<T>(node.Value.Input)!);
            }
        }
        var tcs = new TaskCompletionSource<string?>();
        if (!_eventWaiters.TryGetValue(eventName, out var waiters)) _eventWaiters[eventName] = waiters = new LinkedList<TaskCompletionSource<string?>>();
        var waiterNode = waiters.AddLast(tcs);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                if (waiterNode.List is not null) waiters.Remove(waiterNode);
                tcs.TrySetCanceled(cancellationToken);
            });
        }
        return Convert<T>(tcs.Task);
    }

    private static async Task<T> Convert<T>(Task<string?> payload) => DataConverter.Deserialize<T>(await payload)!;

    public override async Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan) return await WaitForExternalEvent<T>(eventName, cancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var wait = WaitForExternalEvent<T>(eventName, cts.Token);
        if (wait.IsCompleted) return await wait;
        var timer = CreateTimer(CurrentUtcDateTime.Add(timeout), cts.Token);
        var winner = await Task.WhenAny(wait, timer);
        cts.Cancel();
        if (winner == wait) return await wait;
        throw new TaskCanceledException($"Timed out after {timeout} waiting for external event '{eventName}'.");
    }

    private void DeliverEvent(HistoryEvent e)
    {
        if (_eventWaiters.TryGetValue(e.Name ?? "", out var waiters) && waiters.First is { } first)
        {
            waiters.RemoveFirst();
            first.Value.TrySetResult(e.Input);
            return;
        }
        _unconsumedEvents.AddLast(e);
    }

    public override void SendEvent(string instanceId, string eventName, object? payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        ArgumentException.ThrowIfNullOrEmpty(eventName);
        AddAction(new OrchestratorAction(EventType.EventSent, _sequence++, eventName)
        {
            InstanceId = instanceId,
            Input = DataConverter.Serialize(payload),
        });
    }

    public override void SetCustomStatus(object? customStatus) => CustomStatus = DataConverter.Serialize(customStatus);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        _continueAsNew = (DataConverter.Serialize(newInput), preserveUnprocessedEvents);

    public override Guid NewGuid() =>
        DeterministicGuid.Create(string.Create(CultureInfo.InvariantCulture, $"{InstanceId}_{CurrentUtcDateTime:o}_{_guidCounter++}"));
}
