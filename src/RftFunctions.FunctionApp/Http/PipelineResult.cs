using Microsoft.AspNetCore.Mvc;

namespace RftFunctions.FunctionApp.Http;

/// <summary>
/// The HTTP functions' result: the Functions ASP.NET Core integration executes a returned <see cref="IActionResult"/>
/// against the request's HttpContext, and executing this one runs the endpoint pipeline, which writes the response
/// (status, headers, body, streamed chat chunks) itself.
/// </summary>
public sealed class PipelineResult(ApiPipeline pipeline) : IActionResult
{
    /// <inheritdoc />
    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return pipeline.DispatchAsync(context.HttpContext);
    }
}
