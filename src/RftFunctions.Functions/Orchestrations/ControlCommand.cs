using System.Text.Json;
using System.Text.Json.Serialization;
using RftFunctions.Training.Config;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// The payload of the job's control event: a bare word (<c>pause</c>, <c>resume</c>, <c>cancel</c>) or a JSON object
/// <c>{"command":"resume","budget":{"max_tokens":...,"max_wall_seconds":...}}</c> when a resume raises the job's
/// compute budget. Parsing is pure, so the orchestrator may do it during replay.
/// </summary>
/// <param name="Command">pause, resume or cancel (lower case); anything else is ignored by the job.</param>
/// <param name="Budget">The new budget a resume carries, or null to keep (or extend) the current one.</param>
public sealed record ControlCommand(
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("budget")] ComputeBudget? Budget = null)
{
    /// <summary>Pause after the current step.</summary>
    public const string Pause = "pause";

    /// <summary>Continue a paused job.</summary>
    public const string Resume = "resume";

    /// <summary>Stop gracefully between steps.</summary>
    public const string Cancel = "cancel";

    /// <summary>The event payload for this command (a bare word when it carries no budget).</summary>
    public string ToPayload() => Budget is null ? Command : JsonSerializer.Serialize(this);

    /// <summary>Reads a payload; an unreadable one becomes an unknown command (ignored), never an orchestration failure.</summary>
    public static ControlCommand Parse(string? payload)
    {
        var text = payload?.Trim() ?? "";
        if (!text.StartsWith('{')) return new ControlCommand(text.ToLowerInvariant());
        try
        {
            var parsed = JsonSerializer.Deserialize<ControlCommand>(text);
            return parsed is null ? new ControlCommand("") : parsed with { Command = parsed.Command?.Trim().ToLowerInvariant() ?? "" };
        }
        catch (JsonException)
        {
            return new ControlCommand("");
        }
    }
}
