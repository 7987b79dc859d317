namespace RftFunctions.Functions.Api.Auth;

/// <summary>
/// The <c>/v1</c> authentication filter: a Bearer key maps to a project, which every handler reads with
/// <see cref="Of"/>. Missing or unknown keys get 401 in OpenAI's shape; any <see cref="ApiException"/> a handler throws
/// becomes the error envelope, so bad input never surfaces as a 500.
/// </summary>
public static class ApiProject
{
    private const string ItemKey = "rft.project";

    /// <summary>The project of the authenticated caller.</summary>
    public static string Of(HttpContext context) =>
        context.Items[ItemKey] as string ?? throw new InvalidOperationException("the /v1 authentication filter did not run");

    /// <summary>The endpoint filter.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        try
        {
            var header = context.Request.Headers.Authorization.ToString();
            if (string.IsNullOrWhiteSpace(header))
                throw new ApiException(401, "You didn't provide an API key. Send it as 'Authorization: Bearer KEY'.", type: "invalid_request_error");
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
                throw new ApiException(401, "The Authorization header must be 'Bearer KEY'.", code: "invalid_api_key");
            var store = context.RequestServices.GetRequiredService<ApiKeyStore>();
            var project = await store.ResolveAsync(header[7..].Trim(), context.RequestAborted)
                          ?? throw new ApiException(401, "Incorrect API key provided.", code: "invalid_api_key");
            context.Items[ItemKey] = project;
            return await next(invocation);
        }
        catch (ApiException e)
        {
            if (e.StatusCode == StatusCodes.Status503ServiceUnavailable && !context.Response.HasStarted)
                context.Response.Headers.RetryAfter = StorageOutage.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Error(e);
        }
        catch (BadHttpRequestException e)
        {
            return Error(new ApiException(e.StatusCode, e.Message, code: e.StatusCode == 413 ? "request_too_large" : null));
        }
        catch (Exception e) when (StorageOutage.IsOutage(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // Storage did not answer: 503 with Retry-After (OpenAI's clients retry it), not a 500.
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiProject))
                .LogWarning("{Method} {Path}: storage unavailable ({Error}); answered 503", context.Request.Method, context.Request.Path, e.GetType().Name);
            return StorageOutage.Answer(context);
        }
        catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
        {
            // A fault of ours, not of the request: still answered in the envelope, and logged with its stack.
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiProject)).LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            return Error(new ApiException(500, "The server had an error while processing the request.", type: "server_error"));
        }
    }

    /// <summary>The envelope for an <see cref="ApiException"/>.</summary>
    public static IResult Error(ApiException e) =>
        TypedResults.Json(new OpenAiErrorEnvelope(e.Error), ApiJson.Options, statusCode: e.StatusCode);
}
