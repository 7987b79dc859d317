using Microsoft.Extensions.Logging;

namespace RftFunctions.Durable;

/// <summary>The orchestration that started a sub-orchestration.</summary>
/// <param name="Name">The parent's orchestrator name.</param>
/// <param name="InstanceId">The parent's instance id.</param>
public sealed record ParentOrchestrationInstance(TaskName Name, string InstanceId);

/// <summary>
/// What orchestrator code may use. Orchestrator code is replayed from history, so it must be deterministic: only the
/// durable calls below, never wall-clock time, random numbers, I/O or non-durable awaits. Every durable call takes the
/// next sequence id; replay checks that the recorded history agrees with the calls, kind and name, id by id.
/// </summary>
public abstract class TaskOrchestrationContext
{
    /// <summary>The orchestrator's name.</summary>
    public abstract TaskName Name { get; }

    /// <summary>The instance id.</summary>
    public abstract string InstanceId { get; }

    /// <summary>The parent orchestration when this one is a sub-orchestration, else null.</summary>
    public abstract ParentOrchestrationInstance? Parent { get; }

    /// <summary>The timestamp of the current episode: deterministic, the same on every replay.</summary>
    public abstract DateTime CurrentUtcDateTime { get; }

    /// <summary>True while the code is re-running past history rather than making new progress.</summary>
    public abstract bool IsReplaying { get; }

    /// <summary>The logger factory replay-safe loggers are made from.</summary>
    protected abstract ILoggerFactory LoggerFactory { get; }

    /// <summary>The orchestration input as <typeparamref name="T"/>.</summary>
    public abstract T? GetInput<T>();

    /// <summary>Schedules an activity and returns its result.</summary>
    public abstract Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null);

    /// <summary>Schedules an activity and waits for it to finish.</summary>
    public virtual Task CallActivityAsync(TaskName name, object? input = null, TaskOptions? options = null) =>
        CallActivityAsync<object?>(name, input, options);

    /// <summary>Schedules an activity without input, with options (e.g. a retry policy), and waits for it.</summary>
    public virtual Task CallActivityAsync(TaskName name, TaskOptions options) =>
        CallActivityAsync(name, null, options);

    /// <summary>Schedules an activity without input, with options, and returns its result.</summary>
    public virtual Task<TResult> CallActivityAsync<TResult>(TaskName name, TaskOptions options) =>
        CallActivityAsync<TResult>(name, null, options);

    /// <summary>Starts a sub-orchestration and returns its output. Pass <see cref="SubOrchestrationOptions"/> to choose its id.</summary>
    public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null);

    /// <summary>Starts a sub-orchestration and waits for it to finish.</summary>
    public virtual Task CallSubOrchestratorAsync(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        CallSubOrchestratorAsync<object?>(orchestratorName, input, options);

    /// <summary>Starts a sub-orchestration without input (options may be <see cref="SubOrchestrationOptions"/>) and returns its output.</summary>
    public virtual Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, TaskOptions options) =>
        CallSubOrchestratorAsync<TResult>(orchestratorName, null, options);

    /// <summary>Starts a sub-orchestration without input and waits for it to finish.</summary>
    public virtual Task CallSubOrchestratorAsync(TaskName orchestratorName, TaskOptions options) =>
        CallSubOrchestratorAsync(orchestratorName, null, options);

    /// <summary>A durable timer firing at <paramref name="fireAt"/> (UTC). Cancelling only abandons the wait.</summary>
    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>A durable timer firing <paramref name="delay"/> after <see cref="CurrentUtcDateTime"/>.</summary>
    public virtual Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken) =>
        CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    /// <summary>
    /// A durable timer firing at <paramref name="fireAt"/> (UTC) that hands back <paramref name="state"/> when it fires
    /// (the generic timer of DurableTask.Core and Durable Functions). The state is not stored: every replay runs the
    /// same code and passes the same value again, so it is replay-safe without a history field. It is one timer in
    /// history, exactly like <see cref="CreateTimer(DateTime, CancellationToken)"/>; cancelling only abandons the wait.
    /// </summary>
    public virtual async Task<T> CreateTimer<T>(DateTime fireAt, T state, CancellationToken cancellationToken)
    {
        // No ConfigureAwait(false): the continuation must stay on the orchestration's single-threaded context.
        await CreateTimer(fireAt, cancellationToken);
        return state;
    }

    /// <summary>
    /// Waits for an external event named <paramref name="eventName"/> (case-insensitive). An event that arrived before
    /// the wait is buffered and completes the wait at once; events with the same name are delivered in order.
    /// </summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    /// <summary>Like <see cref="WaitForExternalEvent{T}(string, CancellationToken)"/>, but throws <see cref="TaskCanceledException"/> after <paramref name="timeout"/>.</summary>
    public virtual Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout) =>
        WaitForExternalEvent<T>(eventName, timeout, CancellationToken.None);

    /// <summary>Waits with a durable timeout and a cancellation token.</summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Sends an event to another instance (fire and forget, recorded in history).</summary>
    public abstract void SendEvent(string instanceId, string eventName, object? payload);

    /// <summary>Sets the custom status clients see; it is saved with the episode's checkpoint.</summary>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>
    /// Restarts the orchestration with a new input and empty history once the current code returns. Events not yet
    /// consumed are carried into the new execution unless <paramref name="preserveUnprocessedEvents"/> is false.
    /// </summary>
    public abstract void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true);

    /// <summary>A deterministic GUID: UUID v5 (SHA-1) over "{InstanceId}_{CurrentUtcDateTime:o}_{counter}".</summary>
    public abstract Guid NewGuid();

    /// <summary>A logger that writes only when the code is not replaying.</summary>
    public virtual ILogger CreateReplaySafeLogger(string categoryName) =>
        new ReplaySafeLogger(this, LoggerFactory.CreateLogger(categoryName));

    /// <summary>A replay-safe logger for the category of <paramref name="type"/>.</summary>
    public virtual ILogger CreateReplaySafeLogger(Type type) =>
        new ReplaySafeLogger(this, LoggerFactory.CreateLogger(type));

    /// <summary>A replay-safe logger for the category of <typeparamref name="T"/>.</summary>
    public virtual ILogger CreateReplaySafeLogger<T>() => CreateReplaySafeLogger(typeof(T));

    private sealed class ReplaySafeLogger(TaskOrchestrationContext context, ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => !context.IsReplaying && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!context.IsReplaying) inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
