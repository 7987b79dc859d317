using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RftFunctions.Storage;

namespace RftFunctions.Durable;

/// <summary>Registers the runtime in an app's service collection.</summary>
public static class DurableTaskServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="DurableTaskClient"/> singleton for the hub and, unless <paramref name="runWorker"/> is false,
    /// a <see cref="DurableTaskWorker"/> hosted service with the orchestrators and activities <paramref name="register"/> adds.
    /// </summary>
    public static IServiceCollection AddDurableTaskAzureStorage(
        this IServiceCollection services,
        StorageAccount account,
        DurableTaskOptions options,
        Action<DurableTaskRegistry> register,
        bool runWorker = true)
    {
        ArgumentNullException.ThrowIfNull(register);
        options.Validate();
        var registry = new DurableTaskRegistry();
        register(registry);
        services.AddSingleton(registry);
        services.AddSingleton<DurableTaskClient>(_ => new AzureStorageDurableTaskClient(account, options));
        if (runWorker)
        {
            services.AddSingleton(sp => new DurableTaskWorker(account, options, registry, sp.GetService<ILoggerFactory>(), sp));
            services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<DurableTaskWorker>());
        }
        return services;
    }
}
