namespace RftFunctions.Functions.Api.OpenApi;

/// <summary>
/// <c>GET /openapi.json</c> (the hand-written OpenAPI 3.1 description of every <c>/v1</c> endpoint) and <c>GET /docs</c>
/// (a small self-contained page that lists the operations and sends requests with a key). Both are embedded in the
/// assembly so they work offline and need no key; a test compares the document with the mapped routes, so a new
/// endpoint without documentation fails the build's tests.
/// </summary>
public static class OpenApiDocs
{
    /// <summary>Maps the two endpoints on <paramref name="app"/> (outside the authenticated <c>/v1</c> group).</summary>
    public static IEndpointRouteBuilder MapOpenApiDocs(this IEndpointRouteBuilder app)
    {
        var document = Resource("openapi.json");
        var page = Resource("docs.html");
        app.MapGet("/openapi.json", () => TypedResults.Bytes(document, "application/json")).ExcludeFromDescription();
        app.MapGet("/docs", () => TypedResults.Bytes(page, "text/html; charset=utf-8")).ExcludeFromDescription();
        return app;
    }

    /// <summary>An embedded file of this folder.</summary>
    internal static byte[] Resource(string name)
    {
        var assembly = typeof(OpenApiDocs).Assembly;
        using var stream = assembly.GetManifestResourceStream($"RftFunctions.Functions.Api.OpenApi.{name}")
                           ?? throw new InvalidOperationException($"embedded resource {name} is missing from {assembly.GetName().Name}");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }
}
