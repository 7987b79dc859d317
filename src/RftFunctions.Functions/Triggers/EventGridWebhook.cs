using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;

namespace RftFunctions.Functions.Triggers;

/// <summary>
/// <c>POST /events/blob-created</c>: the Event Grid path of the blob triggers (infra/modules/blob-events.bicep), served
/// by both hosts (the Function App forwards it from an HTTP function; <c>/runtime/...</c> belongs to the Functions host).
/// Deliveries must carry the shared key (<c>Rft__BlobEvents__WebhookKey</c>) in <c>x-rft-webhook-key</c>; without a
/// configured key every delivery is refused. Event Grid schema: the subscription validation handshake answers the
/// validation code; <c>Microsoft.Storage.BlobCreated</c> in the datasets container registers the file through the
/// dataset trigger's receipts, and a checkpoint manifest in the jobs container starts its CheckpointEvaluation (once per
/// checkpoint). Any failure answers 500 so Event Grid retries; duplicates are harmless.
/// </summary>
public static class EventGridWebhook
{
    /// <summary>The path (infra's <c>blobEventsWebhookPath</c> delivers here).</summary>
    public const string Path = "/events/blob-created";

    /// <summary>The header carrying the shared key.</summary>
    public const string KeyHeader = "x-rft-webhook-key";

    /// <summary>The setting holding the shared key.</summary>
    public const string KeySetting = "Rft:BlobEvents:WebhookKey";

    private const string ValidationEvent = "Microsoft.EventGrid.SubscriptionValidationEvent";
    private const string BlobCreated = "Microsoft.Storage.BlobCreated";
    private const string SubjectPrefix = "/blobServices/default/containers/";

    /// <summary>Maps the webhook (anonymous to the API's key auth: it checks its own key).</summary>
    public static IEndpointConventionBuilder MapEventGridWebhook(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, HandleAsync).AllowAnonymous().WithName("EventGridWebhook");

    private static async Task<IResult> HandleAsync(HttpContext http, IConfiguration configuration, IServiceProvider services, ILoggerFactory loggers)
    {
        var ct = http.RequestAborted;
        if (!KeyMatches(configuration[KeySetting], http.Request.Headers[KeyHeader].ToString()))
            return Results.Json(new { error = $"missing or wrong {KeyHeader} (or {KeySetting} is not configured)" }, statusCode: 401);
        JsonDocument body;
        try
        {
            body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            return Results.Json(new { error = $"body is not JSON: line {e.LineNumber + 1}: {e.Message}" }, statusCode: 400);
        }
        using (body)
        {
            if (body.RootElement.ValueKind != JsonValueKind.Array)
                return Results.Json(new { error = "body must be an array of Event Grid events (EventGridSchema)" }, statusCode: 400);
            var logger = loggers.CreateLogger(typeof(EventGridWebhook));
            int handled = 0;
            foreach (var (e, index) in body.RootElement.EnumerateArray().Select((e, i) => (e, i)))
            {
                var type = e.TryGetProperty("eventType", out var t) ? t.GetString() : null;
                if (type == ValidationEvent)
                {
                    var code = e.TryGetProperty("data", out var d) && d.TryGetProperty("validationCode", out var c) ? c.GetString() : null;
                    if (string.IsNullOrEmpty(code)) return Results.Json(new { error = $"event [{index}]: data.validationCode is missing" }, statusCode: 400);
                    return Results.Json(new { validationResponse = code });
                }
                if (type != BlobCreated) continue;
                var subject = e.TryGetProperty("subject", out var s) ? s.GetString() : null;
                if (ParseSubject(subject) is not { } blob)
                    return Results.Json(new { error = $"event [{index}]: subject '{subject}' is not {SubjectPrefix}{{container}}/blobs/{{name}}" }, statusCode: 400);
                if (await RouteAsync(services, blob.Container, blob.Name, ct)) handled++;
                logger.LogInformation("Event Grid: BlobCreated {Container}/{Blob}", blob.Container, blob.Name);
            }
            return Results.Json(new { handled });
        }
    }

    /// <summary>Routes one created blob; true when some trigger took it.</summary>
    internal static async Task<bool> RouteAsync(IServiceProvider services, string container, string name, CancellationToken cancellationToken)
    {
        var api = services.GetRequiredService<ApiOptions>();
        var jobs = services.GetRequiredService<JobStorageOptions>();
        if (container == api.DatasetsContainer)
            return await ActivatorUtilities.CreateInstance<DatasetBlobTrigger>(services).ProcessBlobAsync(name, cancellationToken);
        if (container == jobs.Container)
            return await CheckpointEvaluation.StartForBlobAsync(services.GetRequiredService<DurableTaskClient>(), name, cancellationToken) is not null;
        return false;
    }

    /// <summary><c>/blobServices/default/containers/{container}/blobs/{name}</c> → container and blob name.</summary>
    public static (string Container, string Name)? ParseSubject(string? subject)
    {
        if (subject is null || !subject.StartsWith(SubjectPrefix, StringComparison.Ordinal)) return null;
        var rest = subject[SubjectPrefix.Length..];
        var at = rest.IndexOf("/blobs/", StringComparison.Ordinal);
        if (at <= 0 || at + "/blobs/".Length >= rest.Length) return null;
        return (rest[..at], rest[(at + "/blobs/".Length)..]);
    }

    private static bool KeyMatches(string? expected, string given) =>
        !string.IsNullOrEmpty(expected) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));
}
