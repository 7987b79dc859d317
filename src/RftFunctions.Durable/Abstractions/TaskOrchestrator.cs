namespace RftFunctions.Durable;

/// <summary>An orchestrator the runtime can run with an untyped input.</summary>
public interface ITaskOrchestrator
{
    /// <summary>The input type the orchestrator expects.</summary>
    Type InputType { get; }

    /// <summary>The output type the orchestrator returns.</summary>
    Type OutputType { get; }

    /// <summary>Runs the orchestrator.</summary>
    Task<object?> RunAsync(TaskOrchestrationContext context, object? input);
}

/// <summary>Base class for class-style orchestrators, as in durabletask-dotnet.</summary>
/// <typeparam name="TInput">The input type.</typeparam>
/// <typeparam name="TOutput">The output type.</typeparam>
public abstract class TaskOrchestrator<TInput, TOutput> : ITaskOrchestrator
{
    /// <inheritdoc/>
    public Type InputType => typeof(TInput);

    /// <inheritdoc/>
    public Type OutputType => typeof(TOutput);

    /// <summary>The orchestration logic; must be deterministic.</summary>
    public abstract Task<TOutput> RunAsync(TaskOrchestrationContext context, TInput input);

    async Task<object?> ITaskOrchestrator.RunAsync(TaskOrchestrationContext context, object? input) =>
        await RunAsync(context, input is null ? default! : (TInput)input);
}

/// <summary>An activity the runtime can run with an untyped input.</summary>
public interface ITaskActivity
{
    /// <summary>The input type the activity expects.</summary>
    Type InputType { get; }

    /// <summary>The output type the activity returns.</summary>
    Type OutputType { get; }

    /// <summary>Runs the activity.</summary>
    Task<object?> RunAsync(TaskActivityContext context, object? input);
}

/// <summary>Base class for class-style activities. Activities are at-least-once: make them idempotent.</summary>
/// <typeparam name="TInput">The input type.</typeparam>
/// <typeparam name="TOutput">The output type.</typeparam>
public abstract class TaskActivity<TInput, TOutput> : ITaskActivity
{
    /// <inheritdoc/>
    public Type InputType => typeof(TInput);

    /// <inheritdoc/>
    public Type OutputType => typeof(TOutput);

    /// <summary>The activity logic.</summary>
    public abstract Task<TOutput> RunAsync(TaskActivityContext context, TInput input);

    async Task<object?> ITaskActivity.RunAsync(TaskActivityContext context, object? input) =>
        await RunAsync(context, input is null ? default! : (TInput)input).ConfigureAwait(false);
}

/// <summary>Declares the worker pool an activity class runs in (for example "gpu" or "cpu").</summary>
/// <param name="pool">The pool name.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ActivityPoolAttribute(string pool) : Attribute
{
    /// <summary>The pool name.</summary>
    public string Pool { get; } = pool;
}
