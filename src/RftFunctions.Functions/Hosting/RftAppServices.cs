using Microsoft.Extensions.DependencyInjection.Extensions;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Model;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// The app's services as both hosts compose them: the self-hosted <c>rft</c> host and the Azure Functions app
/// (src/RftFunctions.FunctionApp) call this one method, so an endpoint, activity or trigger finds the same services
/// under either host. What differs between the hosts stays with each host: the durable engine and its client, the
/// polling triggers (the self-hosted host's) or the Functions triggers (the Function App's).
/// </summary>
public static class RftAppServices
{
    /// <summary>
    /// Registers storage, settings, the compute device, the health probe, the OpenAI-compatible API, the jobs API and
    /// training. The durable client (<c>DurableTaskClient</c>) is the host's to register.
    /// </summary>
    public static IServiceCollection AddRftApp(this IServiceCollection services, IConfiguration configuration, StorageAccount account, RftHostOptions options, ComputeDevice device)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(account);
        services.AddSingleton(options);
        services.AddSingleton(device);
        services.AddSingleton<StorageHealth>();
        services.TryAddSingleton<LoopLiveness>();
        RftFunctions.Functions.Api.OpenAiApi.AddOpenAiApi(services, configuration);
        // Before training: the jobs API names the job tables (Rft:Jobs, else the storage prefix + the defaults).
        RftFunctions.Functions.Api.FineTuning.FineTuningJobsRegistration.AddFineTuningJobsApi(services, configuration);
        // After the API, so training shares its grader services (one python worker pool per process).
        // Rft:Jobs names the job container and tables (defaults: jobs, Jobs, JobEvents, Checkpoints).
        services.AddRftTraining(configuration.GetSection(RftHostOptions.Section + ":Jobs").Get<RftFunctions.Functions.Jobs.JobStorageOptions>());
        return services;
    }
}
