namespace RftFunctions.Functions.Api.Auth;

/// <summary>
/// The operator credential: an admin key (<c>rft keys create --admin</c>, stored hashed in the ApiKeys table) sent as
/// <c>Authorization: Bearer KEY</c> or, as the Functions host names its system keys, <c>x-functions-key: KEY</c>.
/// It guards the operator surfaces (durable management, health details). A project key there is 403: it is a real
/// credential, just not one that reaches these routes. No admin key stored means every request is refused, so a fresh
/// deployment exposes no operator surface at all (docs/security.md).
/// </summary>
public static class OperatorKey
{
    /// <summary>The Functions host's key header, accepted as an alternative to the Bearer header.</summary>
    public const string FunctionsKeyHeader = "x-functions-key";

    /// <summary>The key the request presents (Bearer first), or null.</summary>
    public static string? Presented(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header.Length > 7) return header[7..].Trim();
        var functionsKey = request.Headers[FunctionsKeyHeader].ToString();
        return functionsKey.Length > 0 ? functionsKey.Trim() : null;
    }

    /// <summary>True when the request carries a live admin key.</summary>
    public static async Task<bool> IsOperatorAsync(HttpContext context)
    {
        var presented = Presented(context.Request);
        return presented is not null
               && await context.RequestServices.GetRequiredService<ApiKeyStore>().IsAdminAsync(presented, context.RequestAborted);
    }

    /// <summary>The endpoint filter of the operator surfaces: 401 without a valid key, 403 for a project key.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var presented = Presented(context.Request);
        if (presented is null)
            return ApiProject.Error(new ApiException(401, "This is an operator route: send an admin key as 'Authorization: Bearer KEY'.", type: "invalid_request_error"));
        var store = context.RequestServices.GetRequiredService<ApiKeyStore>();
        if (await store.IsAdminAsync(presented, context.RequestAborted)) return await next(invocation);
        if (await store.ResolveAsync(presented, context.RequestAborted) is not null)
            return ApiProject.Error(new ApiException(403, "Project API keys cannot use operator routes; an admin key is required.", code: "operator_only"));
        return ApiProject.Error(new ApiException(401, "Incorrect admin key provided.", code: "invalid_api_key"));
    }
}
