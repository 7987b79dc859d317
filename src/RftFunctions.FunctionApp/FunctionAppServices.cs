using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using RftFunctions.FunctionApp.Durable;
using RftFunctions.FunctionApp.Http;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Triggers;
using RftFunctions.Model;
using RftFunctions.Storage;

namespace RftFunctions.FunctionApp;

/// <summary>
/// The Function App's services: the app's own composition (<see cref="RftAppServices.AddRftApp"/>, shared with the
/// self-hosted host) plus what is particular to running under the Functions host: the per-invocation durable client
/// and the endpoint pipeline. The Functions host runs the durable engine and the triggers, so the self-hosted host's
/// engine, worker and polling triggers are not added.
/// </summary>
public static class FunctionAppServices
{
    /// <summary>Adds the Function App's services, reading the <c>Rft</c> settings (app settings <c>Rft__*</c>).</summary>
    public static IServiceCollection AddRftFunctionApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>() ?? new RftHostOptions();
        // A GPU worker that cannot reach its GPU must not quietly train on the CPU: the app fails at start instead.
        var device = ComputeDevice.Parse(options.Device, RftHost.DeviceSetting).EnsureAvailable(RftHost.DeviceSetting);
        // The same connection the Functions host's triggers and task hub use (AzureWebJobsStorage, or its
        // __blobServiceUri/__queueServiceUri/__tableServiceUri form with managed identity).
        var account = StorageAccount.FromSettings(options.StorageConnectionName, key => configuration[key]);
        // Before the shared registrations, so their TryAdd keeps the per-invocation versions.
        InvocationDurableClient.Register(services);
        services.AddRftApp(configuration, account, options, device);
        // The Functions host's blob trigger delivers datasets uploads (BlobTriggerFunctions.DatasetUpload); the
        // self-hosted host's polling scan would be a second watcher.
        foreach (var scan in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DatasetBlobTrigger)).ToList())
            services.Remove(scan);
        // The orchestrators and activities the functions run: the catalog the self-hosted worker registers.
        services.TryAddSingleton(_ => RftOrchestrations.Register(new TaskCatalog()));
        services.AddApiPipeline();
        return services;
    }
}
