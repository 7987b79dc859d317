namespace RftFunctions.Functions.Api;

/// <summary>
/// Storage that does not answer is not a fault of the request nor of ours: every route answers it with 503
/// <c>service_unavailable</c> in OpenAI's error envelope and a <c>Retry-After</c>, which OpenAI's clients retry by
/// themselves (issue 22). How long a request waits before that answer is the storage SDK's retry window for the first
/// call that fails (about 6 s against refused connections with the SDK's defaults).
/// </summary>
public static class StorageOutage
{
    /// <summary>The seconds a client is told to wait (the engine's supervisor probes storage every 2 s).</summary>
    public const int RetryAfterSeconds = 10;

    /// <summary>True when <paramref name="exception"/> is storage not answering (<see cref="Health.StorageErrors.IsOutage"/>).</summary>
    public static bool IsOutage(Exception? exception) => Health.StorageErrors.IsOutage(exception);

    /// <summary>The 503 error.</summary>
    public static ApiException Unavailable() => new(503,
        $"Storage is unavailable right now; retry after {RetryAfterSeconds} seconds.",
        code: "service_unavailable", type: "server_error");

    /// <summary>Writes the 503 envelope (with Retry-After) for a request whose storage call failed.</summary>
    public static IResult Answer(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Auth.ApiProject.Error(Unavailable());
    }

    /// <summary>
    /// The same answer for every route outside <c>/v1</c> (whose filter answers itself): the management API, the
    /// webhook, the dashboard's files. A response already started (a stream) can only be cut.
    /// </summary>
    public static IApplicationBuilder UseStorageOutageResponses(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (IsOutage(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StorageOutage))
                .LogWarning("{Method} {Path}: storage unavailable ({Error}); answered 503", context.Request.Method, context.Request.Path, e.GetType().Name);
            await Answer(context).ExecuteAsync(context);
        }
    });
}
