using Azure;

namespace RftFunctions.Durable;

/// <summary>Options for terminating an instance.</summary>
/// <param name="Output">The output recorded for the terminated instance.</param>
/// <param name="Recursive">Also terminate its running sub-orchestrations.</param>
public sealed record TerminateInstanceOptions(object? Output = null, bool Recursive = false);

/// <summary>
/// Starts, queries and controls orchestration instances (durabletask-dotnet's client surface). Everything addressed to
/// a running instance goes through its control queue, so it is applied in order by the instance's owner.
/// </summary>
public abstract class DurableTaskClient : IAsyncDisposable
{
    /// <summary>Creates a client for the task hub <paramref name="name"/>.</summary>
    protected DurableTaskClient(string name) => Name = name;

    /// <summary>The task hub name.</summary>
    public string Name { get; }

    /// <summary>Schedules a new instance; returns its id. Throws <see cref="OrchestrationAlreadyExistsException"/> for a running id.</summary>
    public abstract Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default);

    /// <summary>Schedules a new instance without input.</summary>
    public Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, StartOrchestrationOptions options, CancellationToken cancellation = default) =>
        ScheduleNewOrchestrationInstanceAsync(orchestratorName, null, options, cancellation);

    /// <summary>Sends an external event to an instance (names are case-insensitive; early events are buffered).</summary>
    public abstract Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default);

    /// <summary>Waits until the instance has started (is no longer Pending).</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>Waits until the instance is Completed, Failed or Terminated.</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>The instance's metadata, or null when no such instance exists.</summary>
    public abstract Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>Instances matching the query, page by page (use <c>AsPages</c> with a continuation token to resume).</summary>
    public abstract AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null);

    /// <summary>Terminates a running instance with an optional output.</summary>
    public Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellation = default) =>
        TerminateInstanceAsync(instanceId, new TerminateInstanceOptions(output), cancellation);

    /// <summary>Terminates a running instance, optionally with its sub-orchestrations.</summary>
    public abstract Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions options, CancellationToken cancellation = default);

    /// <summary>Suspends an instance: it keeps receiving events but processes none until resumed.</summary>
    public abstract Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default);

    /// <summary>Resumes a suspended instance.</summary>
    public abstract Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default);

    /// <summary>Deletes a finished instance's history, row and large payloads.</summary>
    public abstract Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellation = default);

    /// <summary>Purges every finished instance matching the filter.</summary>
    public abstract Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellation = default);

    /// <inheritdoc/>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
