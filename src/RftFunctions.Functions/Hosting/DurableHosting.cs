using RftFunctions.Durable;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// Runs the durable runtime the way this process's roles ask: <c>orchestrations</c> owns control-queue partitions,
/// <c>pool:NAME</c> serves one worker pool's activities, <c>all</c> does everything. Options come from host.json's
/// <c>extensions.durableTask</c> (our <c>workerPools</c> map there sets each pool's concurrency).
/// </summary>
public static class DurableHosting
{
    /// <summary>The durable options for <paramref name="host"/>'s roles.</summary>
    public static DurableTaskOptions OptionsForRoles(IConfiguration configuration, RftHostOptions host)
    {
        var options = configuration.GetSection(DurableTaskOptions.ConfigurationSection).Get<DurableTaskOptions>() ?? new DurableTaskOptions();
        var roles = host.RoleSet;
        if (roles.Contains("all")) return options.Validate();
        var pools = roles.Where(r => r.StartsWith("pool:", StringComparison.Ordinal)).Select(r => r["pool:".Length..]).ToList();
        var limits = pools.ToDictionary(
            p => p,
            p => options.WorkerPools is { } configured && configured.TryGetValue(p, out var limit) ? limit : options.MaxConcurrentActivityFunctions);
        return (options with
        {
            // Only the pools named in the roles: an empty map means this process runs no activities.
            WorkerPools = limits,
            ProcessOrchestrations = roles.Contains("orchestrations"),
        }).Validate();
    }

    /// <summary>True when this process runs a durable worker at all (orchestrations or some pool).</summary>
    public static bool RunsWorker(RftHostOptions host) =>
        host.RoleSet.Contains("all") || host.RoleSet.Contains("orchestrations") || host.RoleSet.Any(r => r.StartsWith("pool:", StringComparison.Ordinal));

    /// <summary>Adds the client (always) and the worker (when a role needs one) with what <paramref name="register"/> adds.</summary>
    public static IServiceCollection AddRftDurable(
        this IServiceCollection services, IConfiguration configuration, StorageAccount account, RftHostOptions host, Action<DurableTaskRegistry> register)
    {
        var options = OptionsForRoles(configuration, host);
        services.AddDurableTaskAzureStorage(account, options, register, runWorker: false);
        if (RunsWorker(host))
        {
            services.AddSingleton(sp => new DurableTaskWorker(
                account, options, sp.GetRequiredService<DurableTaskRegistry>(), sp.GetService<ILoggerFactory>(), sp));
            services.AddHostedService<DurableWorkerHost>();
        }
        return services;
    }
}
