using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RftFunctions.Storage;

namespace RftFunctions.Durable;

/// <summary>Registers the runtime in an app's service collection.</summary>
public static class DurableTaskServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="DurableTaskOptions"/> from <see cref="DurableTaskOptions.ConfigurationSection"/> (host.json's
    /// <c>extensions.durableTask</c>), resolves the storage account from the setting its
    /// <c>storageProvider.connectionStringName</c> names (a connection string or the identity-based form), and adds
    /// the client and, unless <paramref name="runWorker"/> is false, the worker.
    /// </summary>
    public static IServiceCollection AddDurableTaskAzureStorage(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<DurableTaskRegistry> register,
        bool runWorker = true,
        Func<DurableTaskOptions, DurableTaskOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(DurableTaskOptions.ConfigurationSection).Get<DurableTaskOptions>() ?? new DurableTaskOptions();
        if (configure is not null) options = configure(options);
        options.Validate();
        var account = StorageAccount.FromSettings(options.StorageProvider.ConnectionStringName, key => configuration[key]);
        return services.AddDurableTaskAzureStorage(account, options, register, runWorker);
    }

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
