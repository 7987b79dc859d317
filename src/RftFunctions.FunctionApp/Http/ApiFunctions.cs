using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.FunctionApp.Durable;

namespace RftFunctions.FunctionApp.Http;

/// <summary>
/// The HTTP triggers: each forwards its request to <see cref="ApiPipeline"/>, the self-hosted host's endpoint code.
/// Anonymous at the Functions level by decision: /v1 authenticates project keys inside the pipeline (a Functions key
/// would be a second, unrelated secret), and the other routes are public in the self-hosted host too (docs/security.md).
/// host.json sets <c>extensions.http.routePrefix</c> to "" so the paths are the self-hosted host's.
/// </summary>
public sealed class ApiFunctions(ApiPipeline pipeline)
{
    /// <summary>The OpenAI-compatible API: every path under /v1 (unknown ones answer 404 in OpenAI's envelope).</summary>
    [Function("OpenAiApi")]
    public IActionResult V1(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "delete", Route = "v1/{*path}")] HttpRequest request,
        [DurableClient] DurableTaskClient client) => Dispatch(request, client);

    /// <summary>The OpenAPI document.</summary>
    [Function("OpenApiDocument")]
    public IActionResult OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request) =>
        new PipelineResult(pipeline);

    /// <summary>The API documentation page.</summary>
    [Function("ApiDocs")]
    public IActionResult ApiDocs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "docs")] HttpRequest request) =>
        new PipelineResult(pipeline);

    /// <summary>The dashboard page and its two assets.</summary>
    [Function("Dashboard")]
    public IActionResult Dashboard([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/{*asset}")] HttpRequest request) =>
        new PipelineResult(pipeline);

    /// <summary>
    /// Event Grid's blob-created deliveries (infra's <c>blobEventsWebhookPath</c>), for plans where push beats the blob
    /// triggers' polling: the same handler as the self-hosted host (its own shared key; starts checkpoint evaluations
    /// through this invocation's durable client).
    /// </summary>
    [Function("BlobEvents")]
    public IActionResult BlobEvents(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "events/blob-created")] HttpRequest request,
        [DurableClient] DurableTaskClient client) => Dispatch(request, client);

    /// <summary>The health probe.</summary>
    [Function("Health")]
    public IActionResult Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "healthz")] HttpRequest request) =>
        new PipelineResult(pipeline);

    /// <summary>
    /// Hands the request with this invocation's durable client to the pipeline: the jobs endpoints start and control
    /// orchestrations through it. Public so tests drive the same path with a request of their own.
    /// </summary>
    public IActionResult Dispatch(HttpRequest request, DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.HttpContext.RequestServices.GetRequiredService<InvocationDurableClient>().Set(client);
        return new PipelineResult(pipeline);
    }
}
