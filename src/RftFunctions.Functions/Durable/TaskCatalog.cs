using Microsoft.DurableTask;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// The app's orchestrators and activities by name, each with the factory that makes an instance. The self-hosted
/// worker registers every entry with the engine (every worker registers everything: there is one work-item queue),
/// and the Function App's functions must name the same set (FunctionAppParityTests).
/// </summary>
public sealed class TaskCatalog
{
    private readonly Dictionary<string, Func<IServiceProvider, ITaskOrchestrator>> _orchestrators = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Func<IServiceProvider, ITaskActivity>> _activities = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Orchestrators by name (names compare case-insensitively, as TaskName does).</summary>
    public IReadOnlyDictionary<string, Func<IServiceProvider, ITaskOrchestrator>> Orchestrators => _orchestrators;

    /// <summary>Activities by name.</summary>
    public IReadOnlyDictionary<string, Func<IServiceProvider, ITaskActivity>> Activities => _activities;

    /// <summary>Adds an orchestrator; a name used twice is a programming error.</summary>
    public TaskCatalog AddOrchestrator(string name, Func<IServiceProvider, ITaskOrchestrator> factory)
    {
        if (!_orchestrators.TryAdd(name, factory)) throw new InvalidOperationException($"Orchestrator '{name}' is registered twice.");
        return this;
    }

    /// <summary>Adds an orchestrator with a parameterless constructor (orchestrators hold no services: they must be deterministic).</summary>
    public TaskCatalog AddOrchestrator<T>(string name)
        where T : ITaskOrchestrator, new() => AddOrchestrator(name, _ => new T());

    /// <summary>Replaces a registered activity (fault injection in tests: an activity that always fails, say).</summary>
    internal TaskCatalog ReplaceActivity(string name, Func<IServiceProvider, ITaskActivity> factory)
    {
        if (!_activities.ContainsKey(name)) throw new InvalidOperationException($"Activity '{name}' is not registered.");
        _activities[name] = factory;
        return this;
    }

    /// <summary>Adds an activity created through the service provider (its constructor's services injected).</summary>
    public TaskCatalog AddActivity<T>(string name)
        where T : ITaskActivity
    {
        if (!_activities.TryAdd(name, sp => ActivatorUtilities.CreateInstance<T>(sp))) throw new InvalidOperationException($"Activity '{name}' is registered twice.");
        return this;
    }
}
