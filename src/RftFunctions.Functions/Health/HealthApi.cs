using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Hosting;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Health;

/// <summary>The health report: overall status, each storage service, each long-running loop, and the roles this process runs.</summary>
public sealed record HealthReport(string Status, IReadOnlyList<ServiceProbe> Storage, IReadOnlyList<LoopStatus> Loops, string StorageAccount, IReadOnlyList<string> Roles);

/// <summary>What an anonymous caller learns: healthy or unhealthy, nothing about the storage account behind it.</summary>
public sealed record HealthStatus(string Status);

/// <summary>
/// <c>GET /healthz</c>: 200 when storage is reachable and every long-running loop of the process is alive
/// (<see cref="LoopLiveness"/>), 503 otherwise. <c>?probe=liveness</c> asks only about the loops, for a platform's
/// liveness probe: a wedged process is restarted as a last resort, a storage outage restarts nothing. Public by decision (load balancers and probes carry
/// no key), so anonymous callers get only <c>{"status": ...}</c>; the full report (each storage service, its error,
/// the account's endpoint, the roles) needs the admin key (docs/security.md), or <c>rft doctor</c> on the host.
/// </summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", GetHealth).WithName("Health").AllowAnonymous();
        return app;
    }

    private static async Task<IResult> GetHealth(
        HttpContext context, StorageHealth health, LoopLiveness liveness, StorageAccount storage, RftHostOptions options, CancellationToken cancellationToken)
    {
        var loops = liveness.Report();
        if (context.Request.Query["probe"] == "liveness")
        {
            // A platform's liveness probe: only a wedged process (a loop stopped or stalled) is worth a restart; a
            // storage outage is not (every loop waits it out), so storage is not asked.
            bool alive = loops.All(l => l.Ok);
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Json(new HealthStatus(alive ? "healthy" : "unhealthy"), statusCode: alive ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }
        var probes = await health.ProbeAsync(cancellationToken);
        bool storageOk = probes.All(p => p.Ok);
        bool healthy = storageOk && loops.All(l => l.Ok);
        var status = healthy ? "healthy" : "unhealthy";
        int code = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.CacheControl = "no-store";
        if (!await IsOperatorAsync(context, storageOk)) return TypedResults.Json(new HealthStatus(status), statusCode: code);
        var report = new HealthReport(status, probes, loops, storage.Description, options.RoleSet.Order().ToList());
        return TypedResults.Json(report, statusCode: code);
    }

    /// <summary>
    /// Admin keys live in storage, so while storage is down no key can be checked and the details stay private; the
    /// operator then runs <c>rft doctor</c>, which probes the same services with the host's settings.
    /// </summary>
    private static async Task<bool> IsOperatorAsync(HttpContext context, bool storageReachable)
    {
        if (!storageReachable || OperatorKey.Presented(context.Request) is null) return false;
        try
        {
            return await OperatorKey.IsOperatorAsync(context);
        }
        catch (Azure.RequestFailedException)
        {
            return false;
        }
    }
}
