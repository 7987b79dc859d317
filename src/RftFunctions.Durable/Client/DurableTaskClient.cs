using Azure;

namespace RftFunctions.Durable;

/// <summary>Options for terminating an instance.</summary>
/// <param name="Output">The output recorded for the terminated instance.</param>
/// <param name="Recursive">Also terminate its running sub-orchestrations, and theirs, all the way down.</param>
public sealed record TerminateInstanceOptions(object? Output = null, bool Recursive = false);

/// <summary>Options for purging an instance (durabletask-dotnet's shape).</summary>
/// <param name="Recursive">Also purge the finished sub-orchestrations it started, and theirs, all the way down.</param>
public sealed record PurgeInstanceOptions(bool Recursive = false);

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
    public virtual Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, StartOrchestrationOptions options, CancellationToken cancellation = default) =>
        ScheduleNewOrchestrationInstanceAsync(orchestratorName, null, options, cancellation);

    /// <summary>Schedules a new instance without input or options.</summary>
    public virtual Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, CancellationToken cancellation) =>
        ScheduleNewOrchestrationInstanceAsync(orchestratorName, null, null, cancellation);

    /// <summary>Schedules a new instance with input and no options.</summary>
    public virtual Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input, CancellationToken cancellation) =>
        ScheduleNewOrchestrationInstanceAsync(orchestratorName, input, null, cancellation);

    /// <summary>Sends an external event to an instance (names are case-insensitive; early events are buffered).</summary>
    public abstract Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default);

    /// <summary>Sends an external event without a payload.</summary>
    public virtual Task RaiseEventAsync(string instanceId, string eventName, CancellationToken cancellation) =>
        RaiseEventAsync(instanceId, eventName, null, cancellation);

    /// <summary>Waits until the instance has started (is no longer Pending).</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>Waits until the instance has started, without inputs and outputs.</summary>
    public virtual Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, CancellationToken cancellation) =>
        WaitForInstanceStartAsync(instanceId, false, cancellation);

    /// <summary>Waits until the instance is Completed, Failed or Terminated.</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>Waits until the instance has finished, without inputs and outputs.</summary>
    public virtual Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, CancellationToken cancellation) =>
        WaitForInstanceCompletionAsync(instanceId, false, cancellation);

    /// <summary>The instance's metadata, or null when no such instance exists.</summary>
    public abstract Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>The instance's metadata without inputs and outputs, or null when no such instance exists.</summary>
    public virtual Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, CancellationToken cancellation) =>
        GetInstanceAsync(instanceId, false, cancellation);

    /// <summary>The instance's metadata with what <paramref name="options"/> asks for (history included), or null when no such instance exists.</summary>
    public virtual Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, GetInstanceOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.GetHistory) throw new NotSupportedException($"{GetType().Name} cannot read instance history.");
        return GetInstanceAsync(instanceId, options.GetInputsAndOutputs, cancellation);
    }

    /// <summary>Instances matching the query, page by page (use <c>AsPages</c> with a continuation token to resume).</summary>
    public abstract AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null);

    /// <summary>Terminates a running instance without an output.</summary>
    public virtual Task TerminateInstanceAsync(string instanceId, CancellationToken cancellation) =>
        TerminateInstanceAsync(instanceId, (TerminateInstanceOptions?)null, cancellation);

    /// <summary>Terminates a running instance with an output (its sub-orchestrations keep running).</summary>
    public virtual Task TerminateInstanceAsync(string instanceId, object? output, CancellationToken cancellation = default) =>
        TerminateInstanceAsync(instanceId, new TerminateInstanceOptions(output), cancellation);

    /// <summary>
    /// Terminates a running instance. With <see cref="TerminateInstanceOptions.Recursive"/> the instance also sends a
    /// terminate to every sub-orchestration it started that has not reported back, and they do the same to theirs.
    /// </summary>
    public abstract Task TerminateInstanceAsync(string instanceId, TerminateInstanceOptions? options = null, CancellationToken cancellation = default);

    /// <summary>Suspends an instance: it keeps receiving events but processes none until resumed.</summary>
    public abstract Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default);

    /// <summary>Suspends an instance without a reason.</summary>
    public virtual Task SuspendInstanceAsync(string instanceId, CancellationToken cancellation) =>
        SuspendInstanceAsync(instanceId, null, cancellation);

    /// <summary>Resumes a suspended instance.</summary>
    public abstract Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default);

    /// <summary>Resumes a suspended instance without a reason.</summary>
    public virtual Task ResumeInstanceAsync(string instanceId, CancellationToken cancellation) =>
        ResumeInstanceAsync(instanceId, null, cancellation);

    /// <summary>Deletes a finished instance's history, row and large payloads.</summary>
    public virtual Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellation) =>
        PurgeInstanceAsync(instanceId, null, cancellation);

    /// <summary>
    /// Deletes a finished instance's history, row and large payloads; with <see cref="PurgeInstanceOptions.Recursive"/>
    /// also those of the finished sub-orchestrations it started (all the way down). The count includes them.
    /// </summary>
    public abstract Task<PurgeResult> PurgeInstanceAsync(string instanceId, PurgeInstanceOptions? options = null, CancellationToken cancellation = default);

    /// <summary>Purges every finished instance matching the filter.</summary>
    public virtual Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellation) =>
        PurgeAllInstancesAsync(filter, null, cancellation);

    /// <summary>Purges every finished instance matching the filter, optionally with their sub-orchestrations.</summary>
    public abstract Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, PurgeInstanceOptions? options = null, CancellationToken cancellation = default);

    /// <summary>
    /// Starts an instance again with the same orchestrator and input (durabletask-dotnet's <c>RestartAsync</c>): under
    /// the same id once it has finished, or at once under a new id. Returns the id it runs under.
    /// </summary>
    /// <exception cref="ArgumentException">No instance has the id.</exception>
    /// <exception cref="InvalidOperationException">Restarting under the same id while the instance has not finished.</exception>
    public virtual async Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default)
    {
        var metadata = await GetInstanceAsync(instanceId, true, cancellation).ConfigureAwait(false)
            ?? throw new ArgumentException($"No instance with id '{instanceId}' was found.", nameof(instanceId));
        if (!restartWithNewInstanceId && !metadata.IsCompleted)
        {
            throw new InvalidOperationException($"Instance '{instanceId}' is {metadata.RuntimeStatus}; it can restart under its own id only once finished.");
        }
        // The stored input is JSON already: hand it over as a JSON value so it is not serialized a second time.
        object? input = null;
        if (metadata.SerializedInput is { } json)
        {
            using var document = System.Text.Json.JsonDocument.Parse(json);
            input = document.RootElement.Clone();
        }
        var newId = restartWithNewInstanceId ? Guid.NewGuid().ToString("N") : instanceId;
        return await ScheduleNewOrchestrationInstanceAsync(metadata.Name, input, new StartOrchestrationOptions(newId), cancellation).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
