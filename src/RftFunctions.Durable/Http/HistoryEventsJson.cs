using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Durable.Http;

/// <summary>
/// The <c>historyEvents</c> array of Durable Functions' status API (<c>showHistory=true</c>), shaped as the extension
/// shapes DurableTask.Core's history: PascalCase fields; episode markers dropped; a TaskScheduled or
/// SubOrchestrationInstanceCreated folded into its completion as FunctionName + ScheduledTime (and kept only while it has
/// none); ExecutionStarted's name as FunctionName; inputs and timer/event ids dropped; results (parsed JSON) only with
/// <c>showHistoryOutput=true</c>; failures as Reason + FailureDetails.
/// </summary>
internal static class HistoryEventsJson
{
    public static JsonArray Build(IReadOnlyList<OrchestrationHistoryEvent> history, bool showHistoryOutput)
    {
        var items = new List<JsonObject?>(history.Count);
        // Scheduled actions by kind and id, so a completion can take their name and time and remove them.
        var scheduled = new Dictionary<(string Kind, int Id), (int Index, string? Name, DateTimeOffset Time)>();
        foreach (var e in history)
        {
            var item = new JsonObject { ["EventType"] = e.EventType };
            switch (e.EventType)
            {
                case "OrchestratorStarted" or "OrchestratorCompleted":
                    continue;
                case "ExecutionStarted":
                    item["FunctionName"] = e.Name;
                    break;
                case "TaskScheduled" or "SubOrchestrationInstanceCreated":
                    scheduled[(e.EventType, e.EventId)] = (items.Count, e.Name, e.Timestamp);
                    item["Name"] = e.Name;
                    if (e.InstanceId is not null) item["InstanceId"] = e.InstanceId;
                    break;
                case "TaskCompleted" or "TaskFailed" or "SubOrchestrationInstanceCompleted" or "SubOrchestrationInstanceFailed":
                    var kind = e.EventType.StartsWith("Task", StringComparison.Ordinal) ? "TaskScheduled" : "SubOrchestrationInstanceCreated";
                    if (e.ScheduledTaskId is { } id && scheduled.Remove((kind, id), out var origin))
                    {
                        items[origin.Index] = null;
                        item["FunctionName"] = origin.Name;
                        item["ScheduledTime"] = Format(origin.Time);
                    }
                    if (e.Result is not null && showHistoryOutput) item["Result"] = Parse(e.Result);
                    AddFailure(item, e.FailureDetails);
                    break;
                case "ExecutionCompleted":
                    item["OrchestrationStatus"] = e.OrchestrationStatus?.ToString();
                    if (e.Result is not null && showHistoryOutput) item["Result"] = Parse(e.Result);
                    AddFailure(item, e.FailureDetails);
                    break;
                case "TimerCreated" or "TimerFired":
                    if (e.FireAt is { } fireAt) item["FireAt"] = Format(fireAt);
                    break;
                case "EventRaised":
                    item["Name"] = e.Name;
                    break;
                case "EventSent":
                    item["Name"] = e.Name;
                    item["InstanceId"] = e.InstanceId;
                    item["Input"] = e.Input;
                    break;
                case "ExecutionSuspended" or "ExecutionResumed":
                    item["Reason"] = e.Input;
                    break;
                default:
                    break; // ExecutionTerminated: its output is the instance's output, not repeated here.
            }
            item["Timestamp"] = Format(e.Timestamp);
            items.Add(item);
        }
        return [.. items.Where(i => i is not null)];
    }

    private static void AddFailure(JsonObject item, FailureDetails? failure)
    {
        if (failure is null) return;
        item["Reason"] = failure.ErrorMessage;
        item["FailureDetails"] = FailureJson(failure);
    }

    private static JsonObject FailureJson(FailureDetails f) => new()
    {
        ["ErrorType"] = f.ErrorType,
        ["ErrorMessage"] = f.ErrorMessage,
        ["StackTrace"] = f.StackTrace,
        ["InnerFailure"] = f.InnerFailure is { } inner ? FailureJson(inner) : null,
    };

    /// <summary>ISO 8601 with seven fractional digits and Z, as the extension writes DateTime values.</summary>
    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    /// <summary>A JSON result as JSON; a string that is not JSON (a terminate reason, say) stays a string, as upstream does.</summary>
    private static JsonNode? Parse(string value)
    {
        try
        {
            return JsonNode.Parse(value);
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }
}
