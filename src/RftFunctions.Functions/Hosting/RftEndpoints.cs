using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Health;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// Every route the host serves, mapped in one place so the route-coverage test (ControlSurfaceTests) walks exactly the
/// table production builds. Who may call what is docs/security.md's "Public routes": only the health probe, the
/// dashboard's static files and the API documentation answer without a key, by decision.
/// </summary>
public static class RftEndpoints
{
    /// <summary>Maps the routes <paramref name="options"/>' roles serve.</summary>
    public static void Map(WebApplication app, RftHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        // Anonymous: healthy/unhealthy only; the details need the admin key.
        app.MapHealthApi();
        // The Functions management surface, for operators only (admin key). Every orchestrator of this app is started by
        // the app's own code (jobs API, checkpoint trigger, sub-orchestrations), so the start route starts none.
        RftFunctions.Functions.Durable.ManagementApi.MapDurableTaskManagementApi(app, canStart: _ => false).AddEndpointFilter(OperatorKey.FilterAsync);
        // A worker-only process (rft worker) serves no API: requests belong to the api role.
        if (options.RoleSet.Contains("all") || options.RoleSet.Contains("api"))
        {
            // /v1 needs a project key; /openapi.json and /docs are static and public.
            RftFunctions.Functions.Api.OpenAiApi.MapOpenAiApi(app);
            // The live dashboard page (static, public); it reads the /v1 jobs API with the user's key.
            RftFunctions.Functions.Dashboard.DashboardEndpoints.MapDashboard(app);
            // Event Grid's blob events (datasets uploads, checkpoint manifests): guarded by its own shared key.
            RftFunctions.Functions.Triggers.EventGridWebhook.MapEventGridWebhook(app);
        }
    }
}
