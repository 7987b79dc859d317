namespace RftFunctions.Durable;

/// <summary>The runtime status of an orchestration instance (durabletask-dotnet's values).</summary>
public enum OrchestrationRuntimeStatus
{
    /// <summary>The instance is running (or waiting on durable tasks).</summary>
    Running = 0,

    /// <summary>The instance completed normally.</summary>
    Completed = 1,

    /// <summary>Kept for shape compatibility: a continued-as-new instance reports <see cref="Running"/>.</summary>
    [Obsolete("A continued-as-new instance reports Running.")]
    ContinuedAsNew = 2,

    /// <summary>The instance failed with an unhandled exception or a runtime error.</summary>
    Failed = 3,

    /// <summary>Kept for shape compatibility: cancellation is reported as <see cref="Terminated"/>.</summary>
    [Obsolete("Cancellation is reported as Terminated.")]
    Canceled = 4,

    /// <summary>The instance was terminated by a client.</summary>
    Terminated = 5,

    /// <summary>The instance was scheduled but has not started.</summary>
    Pending = 6,

    /// <summary>The instance was suspended by a client and holds its events until resumed.</summary>
    Suspended = 7,
}
