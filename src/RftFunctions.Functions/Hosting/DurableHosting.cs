using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Health;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// The durable engine as this process's roles ask: every process gets a client; <c>worker</c> and <c>all</c> also run
/// the worker (every orchestrator and activity); <c>api</c> alone runs none. Options come from host.json's
/// <c>extensions.durableTask</c>, as the Functions host reads them.
/// </summary>
public static class DurableHosting
{
    /// <summary>True when this process runs the durable worker.</summary>
    public static bool RunsWorker(RftHostOptions host) => host.RoleSet.Contains("all") || host.RoleSet.Contains("worker");

    /// <summary>host.json's <c>extensions.durableTask</c>, validated.</summary>
    public static TaskHubOptions ReadOptions(IConfiguration configuration) =>
        (configuration.GetSection(TaskHubOptions.ConfigurationSection).Get<TaskHubOptions>() ?? new TaskHubOptions()).Validate();

    /// <summary>Adds the task hub (options, engine, catalog, client) and, for a worker role, the worker.</summary>
    public static IServiceCollection AddRftDurable(this IServiceCollection services, IConfiguration configuration, StorageAccount account, RftHostOptions host) =>
        services.AddTaskHub(account, ReadOptions(configuration), runWorker: RunsWorker(host));

    /// <summary>
    /// Adds <paramref name="options"/>' task hub on <paramref name="account"/>: the app's <see cref="TaskCatalog"/>, a
    /// <see cref="DurableTaskClient"/> and, when <paramref name="runWorker"/>, the worker as a hosted service.
    /// </summary>
    public static IServiceCollection AddTaskHub(this IServiceCollection services, StorageAccount account, TaskHubOptions options, bool runWorker)
    {
        services.AddSingleton(options.Validate());
        services.TryAddSingleton<LoopLiveness>();
        services.AddSingleton(sp => new TaskHubEngine(account, options, sp.GetService<ILoggerFactory>()));
        services.AddSingleton(_ => Orchestrations.RftOrchestrations.Register(new TaskCatalog()));
        services.AddSingleton(sp => sp.GetRequiredService<TaskHubEngine>().CreateClient());
        services.AddSingleton<DurableTaskClient>(sp => sp.GetRequiredService<TaskHubClient>());
        if (runWorker)
        {
            services.AddSingleton<TaskHubWorkerService>();
            services.AddHostedService(sp => sp.GetRequiredService<TaskHubWorkerService>());
        }
        return services;
    }
}
