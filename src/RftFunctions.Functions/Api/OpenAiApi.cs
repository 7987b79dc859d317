using Microsoft.Extensions.DependencyInjection.Extensions;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Api.Chat;
using RftFunctions.Functions.Api.Files;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Functions.Api.Graders;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Functions.Api.OpenApi;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Triggers;
using RftFunctions.Graders.Api;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Python;

namespace RftFunctions.Functions.Api;

/// <summary>The OpenAI-compatible API: services, the authenticated <c>/v1</c> group and its endpoint groups.</summary>
public static class OpenAiApi
{
    /// <summary>Registers the API's services (a <see cref="Storage.StorageAccount"/> must already be registered) and,
    /// when this process has the <c>api</c> role, the datasets blob-upload trigger.</summary>
    public static IServiceCollection AddOpenAiApi(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(RftHostOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        var roles = (configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>() ?? new RftHostOptions()).RoleSet;
        services.AddSingleton(options);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<FileStore>();
        services.AddSingleton<ModelRegistry>();
        services.AddSingleton<ModelBlobOwnership>();
        // The host registers the configured Rft:Device first; in-process users (tests) get the CPU.
        services.TryAddSingleton(RftFunctions.Model.ComputeDevice.Cpu);
        services.AddSingleton<ModelCache>();
        services.AddPythonGraders(configuration);
        services.AddSingleton(sp => new GraderServices { Python = sp.GetRequiredService<PythonGraderPool>() });
        services.AddSingleton<GraderApi>();
        // Judges, embeddings and endpoint egress from Rft:Grading (before training, which shares them).
        Grading.GradingRegistration.AddRftGrading(services, configuration);
        if (roles.Contains("api") || roles.Contains("all"))
        {
            services.TryAddSingleton<Health.LoopLiveness>();
            services.AddHostedService<DatasetBlobTrigger>();
        }
        return services;
    }

    /// <summary>Maps <c>/v1</c>: every endpoint requires a Bearer key and answers errors in OpenAI's envelope.</summary>
    public static RouteGroupBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApiDocs();
        var v1 = app.MapGroup("/v1").AddEndpointFilter(ApiProject.FilterAsync);
        v1.MapFilesApi();
        v1.MapGradersApi();
        v1.MapModelsApi();
        v1.MapChatCompletionsApi();
        app.ServiceProvider.GetService<IFineTuningJobsApi>()?.MapFineTuningJobsApi(v1);
        // Unknown /v1 paths answer in OpenAI's shape too (after authentication, so they reveal nothing).
        v1.Map("/{**path}", (string? path) => ApiProject.Error(new ApiException(404, $"Unknown request URL: /v1/{path}.", code: "unknown_url")));
        return v1;
    }
}
