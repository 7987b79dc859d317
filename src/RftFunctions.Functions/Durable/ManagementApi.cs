using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace RftFunctions.Functions.Durable;

/// <summary>The management URLs of one instance (the body of a check-status response), as Durable Functions names them.</summary>
/// <param name="Id">The instance id.</param>
/// <param name="StatusQueryGetUri">GET: the instance status.</param>
/// <param name="SendEventPostUri">POST: raise an event (replace <c>{eventName}</c>).</param>
/// <param name="TerminatePostUri">POST: terminate (replace <c>{text}</c> with the reason).</param>
/// <param name="PurgeHistoryDeleteUri">DELETE: purge a finished instance.</param>
/// <param name="SuspendPostUri">POST: suspend (replace <c>{text}</c>).</param>
/// <param name="ResumePostUri">POST: resume (replace <c>{text}</c>).</param>
public sealed record HttpManagementPayload(
    string Id,
    string StatusQueryGetUri,
    string SendEventPostUri,
    string TerminatePostUri,
    string PurgeHistoryDeleteUri,
    string SuspendPostUri,
    string ResumePostUri);

/// <summary>
/// The Durable Functions HTTP management surface under <c>/runtime/webhooks/durabletask</c> for the self-hosted host
/// (in Azure the Functions host serves its own, behind its system key), over the SDK's <see cref="DurableTaskClient"/>,
/// plus the check-status helpers HTTP starters use.
/// </summary>
public static class ManagementApi
{
    /// <summary>Where Durable Functions mounts its management API.</summary>
    public const string DefaultPrefix = "/runtime/webhooks/durabletask";

    /// <summary>How often clients should poll a running instance.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Maps GET/DELETE <c>instances/{id}</c>, POST <c>instances/{id}/raiseEvent/{name}</c>, <c>terminate</c>,
    /// <c>suspend</c>, <c>resume</c>, GET <c>instances</c> (query), DELETE <c>instances</c> (purge by filter) and POST
    /// <c>orchestrators/{name}/{id?}</c> (start). The group carries no authentication of its own: the host adds its
    /// operator filter to the returned group (Functions guards this surface with its system key).
    /// </summary>
    /// <param name="endpoints">Where to map.</param>
    /// <param name="prefix">The group's path.</param>
    /// <param name="canStart">Which orchestrators the start route may start. A name that is not registered is always
    /// refused (404) before anything is written; a registered one that this predicate refuses answers 403 (an
    /// application whose orchestrators are all started by its own code passes <c>_ => false</c>). Null: every
    /// registered orchestrator.</param>
    public static RouteGroupBuilder MapDurableTaskManagementApi(this IEndpointRouteBuilder endpoints, string prefix = DefaultPrefix, Func<string, bool>? canStart = null)
    {
        var group = endpoints.MapGroup(prefix);
        group.MapGet("/instances/{instanceId}", GetStatusAsync);
        group.MapDelete("/instances/{instanceId}", PurgeAsync);
        group.MapPost("/instances/{instanceId}/raiseEvent/{eventName}", RaiseEventAsync);
        group.MapPost("/instances/{instanceId}/terminate", (HttpContext http, DurableTaskClient client, string instanceId, string? reason) =>
            ControlAsync(client, instanceId, c => c.TerminateInstanceAsync(instanceId, reason, http.RequestAborted), http.RequestAborted));
        group.MapPost("/instances/{instanceId}/suspend", (HttpContext http, DurableTaskClient client, string instanceId, string? reason) =>
            ControlAsync(client, instanceId, c => c.SuspendInstanceAsync(instanceId, reason, http.RequestAborted), http.RequestAborted));
        group.MapPost("/instances/{instanceId}/resume", (HttpContext http, DurableTaskClient client, string instanceId, string? reason) =>
            ControlAsync(client, instanceId, c => c.ResumeInstanceAsync(instanceId, reason, http.RequestAborted), http.RequestAborted));
        group.MapGet("/instances", ListAsync);
        group.MapDelete("/instances", PurgeManyAsync);
        group.MapPost("/orchestrators/{functionName}/{instanceId?}", (HttpContext http, DurableTaskClient client, string functionName, string? instanceId) =>
            StartAsync(http, client, functionName, instanceId, canStart ?? (_ => true)));
        return group;
    }

    /// <summary>The management URLs of an instance, rooted at the request's host.</summary>
    public static HttpManagementPayload CreateHttpManagementPayload(HttpRequest request, string instanceId, string prefix = DefaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(request);
        var root = $"{request.Scheme}://{request.Host}{request.PathBase}{prefix}/instances/{Uri.EscapeDataString(instanceId)}";
        return new HttpManagementPayload(
            instanceId,
            root,
            root + "/raiseEvent/{eventName}",
            root + "/terminate?reason={text}",
            root,
            root + "/suspend?reason={text}",
            root + "/resume?reason={text}");
    }

    /// <summary>202 Accepted with Location (the status URL), Retry-After and the management URLs as the body.</summary>
    public static IResult CreateCheckStatusResponse(HttpRequest request, string instanceId, string prefix = DefaultPrefix)
    {
        var payload = CreateHttpManagementPayload(request, instanceId, prefix);
        request.HttpContext.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        return Results.Accepted(payload.StatusQueryGetUri, payload);
    }

    /// <summary>
    /// GET instances/{id}: <c>showInput</c> (default true) keeps the input, <c>showHistory</c> adds <c>historyEvents</c>
    /// (omitted otherwise and while Pending, as upstream), <c>showHistoryOutput</c> adds results to those events.
    /// </summary>
    private static async Task<IResult> GetStatusAsync(HttpContext http, DurableTaskClient client, string instanceId, bool? returnInternalServerErrorOnFailure, bool? showInput, bool? showHistory, bool? showHistoryOutput)
    {
        var metadata = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, http.RequestAborted).ConfigureAwait(false);
        if (metadata is null) return Results.NotFound(new { message = $"No instance with id '{instanceId}' was found." });
        var history = showHistory == true && metadata.RuntimeStatus != OrchestrationRuntimeStatus.Pending && client is TaskHubClient hub
            ? HistoryJson(await hub.GetHistoryJsonAsync(instanceId, http.RequestAborted).ConfigureAwait(false), showHistoryOutput == true)
            : null;
        var body = ToStatus(metadata, showInput ?? true, history);
        if (metadata.RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended)
        {
            http.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Results.Accepted($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}", body);
        }
        if (metadata.RuntimeStatus == OrchestrationRuntimeStatus.Failed && returnInternalServerErrorOnFailure == true)
        {
            return Results.Json(body, statusCode: StatusCodes.Status500InternalServerError);
        }
        return Results.Ok(body);
    }

    private static async Task<IResult> PurgeAsync(HttpContext http, DurableTaskClient client, string instanceId)
    {
        try
        {
            var result = await client.PurgeInstanceAsync(instanceId, cancellation: http.RequestAborted).ConfigureAwait(false);
            return result.PurgedInstanceCount == 0 ? Results.NotFound() : Results.Ok(new { instancesDeleted = result.PurgedInstanceCount });
        }
        catch (InvalidOperationException ex)
        {
            return Results.Conflict(new { message = ex.Message });
        }
    }

    private static async Task<IResult> RaiseEventAsync(HttpContext http, DurableTaskClient client, string instanceId, string eventName)
    {
        object? payload = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                payload = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body, TaskHubJson.Options, http.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                return Results.BadRequest(new { message = $"The event payload is not valid JSON: {ex.Message}" });
            }
        }
        return await ControlAsync(client, instanceId, c => c.RaiseEventAsync(instanceId, eventName, payload, http.RequestAborted), http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>404 for unknown, 410 Gone for finished instances, else sends and answers 202.</summary>
    private static async Task<IResult> ControlAsync(DurableTaskClient client, string instanceId, Func<DurableTaskClient, Task> send, CancellationToken cancellationToken)
    {
        var metadata = await client.GetInstanceAsync(instanceId, false, cancellationToken).ConfigureAwait(false);
        if (metadata is null) return Results.NotFound(new { message = $"No instance with id '{instanceId}' was found." });
        if (metadata.IsCompleted) return Results.StatusCode(StatusCodes.Status410Gone);
        await send(client).ConfigureAwait(false);
        return Results.Accepted();
    }

    /// <summary>The comma-separated <c>runtimeStatus</c> filter; an unknown name is an error naming it.</summary>
    private static bool TryParseStatuses(string? runtimeStatus, out List<OrchestrationRuntimeStatus>? statuses, out IResult? error)
    {
        statuses = null;
        error = null;
        if (string.IsNullOrEmpty(runtimeStatus)) return true;
        statuses = [];
        foreach (var s in runtimeStatus.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<OrchestrationRuntimeStatus>(s, true, out var status) || !Enum.IsDefined(status))
            {
                error = Results.BadRequest(new { message = $"runtimeStatus '{s}' is not a known status." });
                return false;
            }
            statuses.Add(status);
        }
        return true;
    }

    /// <summary>
    /// DELETE instances?createdTimeFrom=&amp;createdTimeTo=&amp;runtimeStatus=: purges the finished instances matching
    /// the filter (Functions' "purge multiple instance histories"); 200 with the count, 404 when none matched.
    /// </summary>
    private static async Task<IResult> PurgeManyAsync(HttpContext http, DurableTaskClient client, DateTimeOffset? createdTimeFrom, DateTimeOffset? createdTimeTo, string? runtimeStatus)
    {
        if (!TryParseStatuses(runtimeStatus, out var statuses, out var error)) return error!;
        var result = await client.PurgeAllInstancesAsync(new PurgeInstancesFilter(createdTimeFrom, createdTimeTo, statuses), http.RequestAborted).ConfigureAwait(false);
        return result.PurgedInstanceCount == 0 ? Results.NotFound() : Results.Ok(new { instancesDeleted = result.PurgedInstanceCount });
    }

    private static async Task<IResult> ListAsync(HttpContext http, DurableTaskClient client, DateTimeOffset? createdTimeFrom, DateTimeOffset? createdTimeTo, string? runtimeStatus, string? instanceIdPrefix, int? top, bool? showInput)
    {
        if (!TryParseStatuses(runtimeStatus, out var statuses, out var error)) return error!;
        var token = http.Request.Headers["x-ms-continuation-token"].ToString();
        var query = new OrchestrationQuery
        {
            CreatedFrom = createdTimeFrom,
            CreatedTo = createdTimeTo,
            Statuses = statuses,
            InstanceIdPrefix = instanceIdPrefix,
            PageSize = Math.Clamp(top ?? 100, 1, 1000),
            ContinuationToken = string.IsNullOrEmpty(token) ? null : token,
            FetchInputsAndOutputs = true,
        };
        await foreach (var page in client.GetAllInstancesAsync(query).AsPages(query.ContinuationToken, query.PageSize).ConfigureAwait(false))
        {
            if (page.ContinuationToken is { } next) http.Response.Headers["x-ms-continuation-token"] = next;
            return Results.Ok(page.Values.Select(m => ToStatus(m, showInput ?? true, null)));
        }
        return Results.Ok(Array.Empty<object>());
    }

    private static async Task<IResult> StartAsync(HttpContext http, DurableTaskClient client, string functionName, string? instanceId, Func<string, bool> canStart)
    {
        // Refused before the body is read and before any instance row exists: an unknown name would otherwise leave a
        // Pending row no worker ever runs, and an internal orchestrator started with a crafted input acts with the
        // app's authority (e.g. re-training another project's job).
        var catalog = http.RequestServices.GetService<TaskCatalog>();
        if (catalog is null || !catalog.Orchestrators.ContainsKey(functionName))
            return Results.NotFound(new { message = $"No orchestrator named '{functionName}' can be started here." });
        if (!canStart(functionName))
            return Results.Json(new { message = $"'{functionName}' is started by the application itself, not through this API." }, statusCode: StatusCodes.Status403Forbidden);
        object? input = null;
        // A chunked body (HttpClient's JsonContent sends one) has no Content-Length but is still the input.
        if (http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                input = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body, TaskHubJson.Options, http.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                return Results.BadRequest(new { message = $"The orchestration input is not valid JSON: {ex.Message}" });
            }
        }
        try
        {
            var id = await client.ScheduleNewOrchestrationInstanceAsync(functionName, input, new StartOrchestrationOptions(instanceId), http.RequestAborted).ConfigureAwait(false);
            return CreateCheckStatusResponse(http.Request, id);
        }
        catch (DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException)
        {
            return Results.Conflict(new { message = $"An instance with id '{instanceId}' is already running." });
        }
    }

    /// <summary>The status payload of Durable Functions' GET instance API; <c>historyEvents</c> only when there is a history to show.</summary>
    private static Dictionary<string, object?> ToStatus(OrchestrationMetadata m, bool showInput, JsonArray? historyEvents)
    {
        var status = new Dictionary<string, object?>
        {
            ["name"] = m.Name,
            ["instanceId"] = m.InstanceId,
            ["runtimeStatus"] = m.RuntimeStatus.ToString(),
            ["input"] = showInput ? Parse(m.SerializedInput) : null,
            ["customStatus"] = Parse(m.SerializedCustomStatus),
            ["output"] = m.FailureDetails is { } f && m.SerializedOutput is null ? f.ErrorMessage : Parse(m.SerializedOutput),
            ["failureDetails"] = m.FailureDetails,
            ["createdTime"] = m.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["lastUpdatedTime"] = m.LastUpdatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        if (historyEvents is not null) status["historyEvents"] = historyEvents;
        return status;
    }

    private static JsonElement? Parse(string? json)
    {
        if (json is null) return null;
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        return document.RootElement.Clone();
    }

    /// <summary>
    /// The <c>historyEvents</c> array: the engine's events with their type by name, episode markers dropped, inputs
    /// dropped, results only with <c>showHistoryOutput</c>.
    /// </summary>
    private static JsonArray? HistoryJson(JsonElement? engineHistory, bool showOutput)
    {
        if (engineHistory is not { ValueKind: JsonValueKind.Array } events) return null;
        var result = new JsonArray();
        foreach (var e in events.EnumerateArray())
        {
            if (JsonNode.Parse(e.GetRawText()) is not JsonObject item) continue;
            var type = item["EventType"] is JsonValue v && v.TryGetValue<int>(out var code) ? ((EventType)code).ToString() : item["EventType"]?.ToString();
            if (type is nameof(EventType.OrchestratorStarted) or nameof(EventType.OrchestratorCompleted)) continue;
            item["EventType"] = type;
            item.Remove("Input");
            if (!showOutput) item.Remove("Result");
            result.Add(item);
        }
        return result;
    }
}
