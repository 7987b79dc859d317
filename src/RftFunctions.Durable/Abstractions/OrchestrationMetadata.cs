namespace RftFunctions.Durable;

/// <summary>What a client sees of an orchestration instance (read from the Instances table).</summary>
/// <param name="Name">The orchestrator's name.</param>
/// <param name="InstanceId">The instance id.</param>
public sealed record OrchestrationMetadata(string Name, string InstanceId)
{
    /// <summary>The runtime status.</summary>
    public OrchestrationRuntimeStatus RuntimeStatus { get; init; }

    /// <summary>When the instance was created (scheduled).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the instance's state last changed.</summary>
    public DateTimeOffset LastUpdatedAt { get; init; }

    /// <summary>The JSON input, when inputs and outputs were requested.</summary>
    public string? SerializedInput { get; init; }

    /// <summary>The JSON output, when inputs and outputs were requested.</summary>
    public string? SerializedOutput { get; init; }

    /// <summary>The JSON custom status, when inputs and outputs were requested.</summary>
    public string? SerializedCustomStatus { get; init; }

    /// <summary>Why the instance failed, when it did.</summary>
    public FailureDetails? FailureDetails { get; init; }

    /// <summary>The current execution id (changes with ContinueAsNew).</summary>
    public string? ExecutionId { get; init; }

    /// <summary>The current execution's history, when <see cref="GetInstanceOptions.GetHistory"/> asked for it; else null.</summary>
    public IReadOnlyList<OrchestrationHistoryEvent>? History { get; init; }

    /// <summary>True while Running, Pending or Suspended: the instance may still make progress.</summary>
    public bool IsRunning => RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended;

    /// <summary>True once Completed, Failed or Terminated.</summary>
    public bool IsCompleted => RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;

    /// <summary>The input as <typeparamref name="T"/>.</summary>
    public T? ReadInputAs<T>() => DataConverter.Deserialize<T>(SerializedInput);

    /// <summary>The output as <typeparamref name="T"/>.</summary>
    public T? ReadOutputAs<T>() => DataConverter.Deserialize<T>(SerializedOutput);

    /// <summary>The custom status as <typeparamref name="T"/>.</summary>
    public T? ReadCustomStatusAs<T>() => DataConverter.Deserialize<T>(SerializedCustomStatus);
}

/// <summary>A filter and page request for instance queries.</summary>
/// <param name="CreatedFrom">Only instances created at or after this time.</param>
/// <param name="CreatedTo">Only instances created at or before this time.</param>
/// <param name="Statuses">Only instances with one of these statuses.</param>
/// <param name="InstanceIdPrefix">Only instances whose id starts with this prefix (case-sensitive).</param>
/// <param name="PageSize">Instances per page (default 100).</param>
/// <param name="ContinuationToken">Where the previous page ended.</param>
/// <param name="FetchInputsAndOutputs">Whether to return inputs, outputs and custom status.</param>
public sealed record OrchestrationQuery(
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    IEnumerable<OrchestrationRuntimeStatus>? Statuses = null,
    string? InstanceIdPrefix = null,
    int PageSize = 100,
    string? ContinuationToken = null,
    bool FetchInputsAndOutputs = false);

/// <summary>The result of a purge.</summary>
/// <param name="PurgedInstanceCount">How many instances were removed.</param>
public sealed record PurgeResult(int PurgedInstanceCount);

/// <summary>Which finished instances a bulk purge removes.</summary>
/// <param name="CreatedFrom">Only instances created at or after this time.</param>
/// <param name="CreatedTo">Only instances created at or before this time.</param>
/// <param name="Statuses">Only these statuses (default: Completed, Failed, Terminated).</param>
public sealed record PurgeInstancesFilter(
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    IEnumerable<OrchestrationRuntimeStatus>? Statuses = null);
