namespace RftFunctions.Functions.Dashboard;

/// <summary>
/// <c>GET /dashboard</c>: a static page (HTML, hand-written JS, CSS; embedded in the assembly so a published app needs no
/// extra files) that reads the public <c>/v1/fine_tuning/jobs</c> API with the caller's key. The page itself carries no
/// data, so it is served without authentication; every number it shows comes through the authenticated API.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>The page's path.</summary>
    public const string Path = "/dashboard";

    private static readonly (string Route, string Resource, string ContentType)[] Assets =
    [
        (Path, "index.html", "text/html; charset=utf-8"),
        (Path + "/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        (Path + "/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Maps the page and its two assets.</summary>
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        foreach (var (route, resource, contentType) in Assets)
        {
            var bytes = Read(resource);
            app.MapGet(route, (HttpContext context) =>
            {
                var headers = context.Response.Headers;
                // Only our own script and style, and API calls to this origin: no CDN, no inline code, no framing.
                headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-cache";
                headers["Referrer-Policy"] = "no-referrer";
                return Results.Bytes(bytes, contentType);
            }).ExcludeFromDescription().AllowAnonymous();
        }
        return app;
    }

    private static byte[] Read(string name)
    {
        var assembly = typeof(DashboardEndpoints).Assembly;
        using var stream = assembly.GetManifestResourceStream("RftFunctions.Functions.Dashboard." + name)
            ?? throw new InvalidOperationException($"dashboard asset '{name}' is not embedded in {assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
