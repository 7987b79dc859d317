using Microsoft.AspNetCore.Http.HttpResults;
using RftFunctions.Functions.Hosting;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Health;

/// <summary>The health report: overall status, each storage service, and the roles this process runs.</summary>
public sealed record HealthReport(string Status, IReadOnlyList<ServiceProbe> Storage, string StorageAccount, IReadOnlyList<string> Roles);

/// <summary><c>GET /healthz</c>: 200 when storage is reachable, 503 naming what failed otherwise.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealth).WithName("Health").AllowAnonymous();
        return app;
    }

    private static async Task<JsonHttpResult<HealthReport>> GetHealth(
        StorageHealth health, StorageAccount storage, RftHostOptions options, CancellationToken cancellationToken)
    {
        var probes = await health.ProbeAsync(cancellationToken);
        bool healthy = probes.All(p => p.Ok);
        var report = new HealthReport(healthy ? "healthy" : "unhealthy", probes, storage.Description, options.RoleSet.Order().ToList());
        return TypedResults.Json(report, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
