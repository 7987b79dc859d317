namespace RftFunctions.Durable;

/// <summary>What activity code knows about its invocation.</summary>
public abstract class TaskActivityContext
{
    /// <summary>The activity's name.</summary>
    public abstract TaskName Name { get; }

    /// <summary>The instance id of the orchestration that scheduled it.</summary>
    public abstract string InstanceId { get; }

    /// <summary>The worker pool the activity runs in.</summary>
    public abstract string Pool { get; }

    /// <summary>
    /// How many times this invocation has been delivered (1 the first time). Activities are at-least-once, so
    /// values above 1 mean an earlier delivery may already have done the work.
    /// </summary>
    public abstract int DeliveryCount { get; }

    /// <summary>Cancelled when the worker shuts down; the invocation will then be delivered again.</summary>
    public abstract CancellationToken CancellationToken { get; }
}
