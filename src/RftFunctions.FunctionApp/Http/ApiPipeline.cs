using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Dashboard;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Triggers;

namespace RftFunctions.FunctionApp.Http;

/// <summary>
/// The self-hosted host's endpoint code as one ASP.NET Core request pipeline (routing + endpoints) over the worker's
/// services, built once on first use. The HTTP trigger functions hand their request's HttpContext to it, so a /v1 call
/// runs the very handlers, filters (project-key authentication, OpenAI's error envelope) and route table that the
/// self-hosted host runs; nothing is copied.
/// </summary>
public sealed class ApiPipeline(IServiceProvider services)
{
    private readonly Lazy<(RequestDelegate Pipeline, IReadOnlyList<RouteEndpoint> Endpoints)> _built = new(() => Build(services));

    /// <summary>The pipeline's route table: every route the HTTP functions must forward (FunctionAppParityTests).</summary>
    public IReadOnlyList<RouteEndpoint> Endpoints => _built.Value.Endpoints;

    /// <summary>The routes this pipeline serves: what the Function App's HTTP triggers forward.</summary>
    public static void MapRoutes(IEndpointRouteBuilder endpoints)
    {
        // Anonymous: healthy/unhealthy only; the details need the admin key (as in the self-hosted host).
        endpoints.MapHealthApi();
        // /v1 needs a project key; /openapi.json and /docs are static and public.
        endpoints.MapOpenAiApi();
        // The live dashboard page (static, public); it reads the /v1 jobs API with the user's key.
        endpoints.MapDashboard();
        // Event Grid's blob events (datasets uploads, checkpoint manifests): guarded by its own shared key.
        endpoints.MapEventGridWebhook();
    }

    /// <summary>Runs <paramref name="context"/> through the endpoint pipeline.</summary>
    public Task DispatchAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The pipeline routes the request itself: whatever endpoint the Functions side may have attached is not ours.
        context.SetEndpoint(null);
        return _built.Value.Pipeline(context);
    }

    private static (RequestDelegate, IReadOnlyList<RouteEndpoint>) Build(IServiceProvider services)
    {
        var app = new ApplicationBuilder(services);
        app.UseRouting();
        // Storage that does not answer is a 503 with Retry-After on every route, as in the self-hosted host.
        app.UseStorageOutageResponses();
        ICollection<EndpointDataSource> sources = [];
        app.UseEndpoints(endpoints =>
        {
            MapRoutes(endpoints);
            sources = endpoints.DataSources;
        });
        // A request no route matched (only possible outside /v1, whose group answers unknown paths itself).
        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        var pipeline = app.Build();
        return (pipeline, sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>().ToList());
    }
}

/// <summary>Registration of the pipeline.</summary>
public static class ApiPipelineRegistration
{
    /// <summary>Adds routing and the pipeline (a singleton: its route table is built once).</summary>
    public static IServiceCollection AddApiPipeline(this IServiceCollection services)
    {
        services.AddRouting();
        services.AddSingleton<ApiPipeline>();
        return services;
    }
}
