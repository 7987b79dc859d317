using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace RftFunctions.Durable;

/// <summary>
/// The orchestrators and activities a worker knows, by case-insensitive name, and the pool each activity runs in.
/// Every process on a task hub should register the same set: the orchestrating worker looks up an activity's pool
/// here to pick its work-item queue, even when it does not serve that pool itself.
/// </summary>
public sealed class DurableTaskRegistry
{
    /// <summary>The pool of activities that declare none.</summary>
    public const string DefaultPool = "default";

    private readonly Dictionary<TaskName, Func<IServiceProvider, ITaskOrchestrator>> _orchestrators = [];
    private readonly Dictionary<TaskName, (Func<IServiceProvider, ITaskActivity> Factory, string Pool)> _activities = [];

    /// <summary>Registers a class-style orchestrator under its type name.</summary>
    public DurableTaskRegistry AddOrchestrator<TOrchestrator>() where TOrchestrator : class, ITaskOrchestrator =>
        AddOrchestrator(typeof(TOrchestrator).Name, sp => ActivatorUtilities.CreateInstance<TOrchestrator>(sp));

    /// <summary>Registers an orchestrator made by <paramref name="factory"/> for each episode.</summary>
    public DurableTaskRegistry AddOrchestrator(TaskName name, Func<IServiceProvider, ITaskOrchestrator> factory)
    {
        if (!_orchestrators.TryAdd(name, factory)) throw new ArgumentException($"Orchestrator '{name}' is already registered.", nameof(name));
        return this;
    }

    /// <summary>Registers a function-style orchestrator.</summary>
    public DurableTaskRegistry AddOrchestratorFunc<TInput, TOutput>(TaskName name, Func<TaskOrchestrationContext, TInput, Task<TOutput>> implementation) =>
        AddOrchestrator(name, _ => new FuncOrchestrator<TInput, TOutput>(implementation));

    /// <summary>Registers a function-style orchestrator without output.</summary>
    public DurableTaskRegistry AddOrchestratorFunc<TInput>(TaskName name, Func<TaskOrchestrationContext, TInput, Task> implementation) =>
        AddOrchestratorFunc<TInput, object?>(name, async (c, i) => { await implementation(c, i); return null; });

    /// <summary>Registers a function-style orchestrator without input.</summary>
    public DurableTaskRegistry AddOrchestratorFunc<TOutput>(TaskName name, Func<TaskOrchestrationContext, Task<TOutput>> implementation) =>
        AddOrchestratorFunc<object?, TOutput>(name, (c, _) => implementation(c));

    /// <summary>Registers a class-style activity under its type name, in the pool its <see cref="ActivityPoolAttribute"/> names.</summary>
    public DurableTaskRegistry AddActivity<TActivity>(string? pool = null) where TActivity : class, ITaskActivity =>
        AddActivity(typeof(TActivity).Name, sp => ActivatorUtilities.CreateInstance<TActivity>(sp),
            pool ?? typeof(TActivity).GetCustomAttribute<ActivityPoolAttribute>()?.Pool);

    /// <summary>Registers an activity made by <paramref name="factory"/> for each invocation.</summary>
    public DurableTaskRegistry AddActivity(TaskName name, Func<IServiceProvider, ITaskActivity> factory, string? pool = null)
    {
        var resolvedPool = string.IsNullOrWhiteSpace(pool) ? DefaultPool : ValidatePool(pool);
        if (!_activities.TryAdd(name, (factory, resolvedPool))) throw new ArgumentException($"Activity '{name}' is already registered.", nameof(name));
        return this;
    }

    /// <summary>Registers a function-style activity.</summary>
    public DurableTaskRegistry AddActivityFunc<TInput, TOutput>(TaskName name, Func<TaskActivityContext, TInput, Task<TOutput>> implementation, string? pool = null) =>
        AddActivity(name, _ => new FuncActivity<TInput, TOutput>(implementation), pool);

    /// <summary>Registers a synchronous function-style activity.</summary>
    public DurableTaskRegistry AddActivityFunc<TInput, TOutput>(TaskName name, Func<TaskActivityContext, TInput, TOutput> implementation, string? pool = null) =>
        AddActivityFunc<TInput, TOutput>(name, (c, i) => Task.FromResult(implementation(c, i)), pool);

    /// <summary>Registers a function-style activity without output.</summary>
    public DurableTaskRegistry AddActivityFunc<TInput>(TaskName name, Func<TaskActivityContext, TInput, Task> implementation, string? pool = null) =>
        AddActivityFunc<TInput, object?>(name, async (c, i) => { await implementation(c, i).ConfigureAwait(false); return null; }, pool);

    /// <summary>The pool the activity runs in (the default pool for unknown names).</summary>
    public string GetActivityPool(TaskName name) => _activities.TryGetValue(name, out var a) ? a.Pool : DefaultPool;

    /// <summary>Every pool some registered activity runs in, plus the default pool.</summary>
    public IReadOnlySet<string> Pools => _activities.Values.Select(a => a.Pool).Append(DefaultPool).ToHashSet(StringComparer.Ordinal);

    /// <summary>True when an orchestrator of that name (case-insensitive) is registered.</summary>
    public bool HasOrchestrator(TaskName name) => _orchestrators.ContainsKey(name);

    internal bool TryCreateOrchestrator(TaskName name, IServiceProvider services, out ITaskOrchestrator orchestrator)
    {
        orchestrator = null!;
        if (!_orchestrators.TryGetValue(name, out var factory)) return false;
        orchestrator = factory(services);
        return true;
    }

    internal bool TryCreateActivity(TaskName name, IServiceProvider services, out ITaskActivity activity)
    {
        activity = null!;
        if (!_activities.TryGetValue(name, out var entry)) return false;
        activity = entry.Factory(services);
        return true;
    }

    /// <summary>Pool names become queue-name suffixes: lower-case letters, digits and single dashes.</summary>
    internal static string ValidatePool(string pool)
    {
        if (pool.Length is < 1 or > 16 || !pool.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-') || pool[0] == '-' || pool[^1] == '-' || pool.Contains("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Pool name '{pool}' is invalid: use 1-16 lower-case letters, digits or single dashes.", nameof(pool));
        }
        return pool;
    }

    private sealed class FuncOrchestrator<TInput, TOutput>(Func<TaskOrchestrationContext, TInput, Task<TOutput>> implementation) : TaskOrchestrator<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskOrchestrationContext context, TInput input) => implementation(context, input);
    }

    private sealed class FuncActivity<TInput, TOutput>(Func<TaskActivityContext, TInput, Task<TOutput>> implementation) : TaskActivity<TInput, TOutput>
    {
        public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => implementation(context, input);
    }
}
