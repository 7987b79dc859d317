using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Graders.Templates;

/// <summary>
/// One model output as graders see it: the <c>sample</c> namespace of templates and the <c>sample</c> dict of python
/// graders. Build it with <see cref="FromOutputText"/> (the run API) or <see cref="Create"/> (rollouts).
/// </summary>
public sealed class GradingSample
{
    private static readonly JsonElement EmptyArray = JsonDocument.Parse("[]").RootElement.Clone();
    private readonly Lazy<JsonElement> _asJson;

    private GradingSample(string outputText, JsonElement? outputJson, JsonElement outputTools, JsonElement choices,
        bool outputJsonRequired, bool truncated)
    {
        OutputText = outputText;
        OutputJson = outputJson;
        OutputTools = outputTools;
        Choices = choices;
        OutputJsonRequired = outputJsonRequired;
        Truncated = truncated;
        // Sub-graders of a multi may ask for it concurrently; JsonElement is a struct, so publish it through Lazy.
        _asJson = new Lazy<JsonElement>(BuildJson);
    }

    /// <summary>The assistant's text.</summary>
    public string OutputText { get; }

    /// <summary>The text parsed as JSON, when it parses.</summary>
    public JsonElement? OutputJson { get; }

    /// <summary>Tool calls the model made (an array, possibly empty).</summary>
    public JsonElement OutputTools { get; }

    /// <summary>All choices (for several completions per prompt; an array, possibly empty).</summary>
    public JsonElement Choices { get; }

    /// <summary>
    /// True when the job has a response_format: then output_text must parse as JSON, and a sample that does not scores 0
    /// with <c>sample_parse_error</c>.
    /// </summary>
    public bool OutputJsonRequired { get; }

    /// <summary>The model stopped at its token limit; graded 0 with <c>truncated_observation_error</c>.</summary>
    public bool Truncated { get; }

    /// <summary>A sample from plain text; <c>output_json</c> is filled when the text happens to be valid JSON.</summary>
    public static GradingSample FromOutputText(string outputText) => Create(outputText);

    /// <summary>A sample from a rollout.</summary>
    /// <param name="outputText">The assistant's text.</param>
    /// <param name="outputJsonRequired">Whether the job set a response_format (so JSON is mandatory).</param>
    /// <param name="outputTools">Tool calls (JSON array) or null for none.</param>
    /// <param name="choices">Choices (JSON array) or null for none.</param>
    /// <param name="truncated">Whether generation hit the token limit.</param>
    public static GradingSample Create(string outputText, bool outputJsonRequired = false, JsonElement? outputTools = null,
        JsonElement? choices = null, bool truncated = false)
    {
        ArgumentNullException.ThrowIfNull(outputText);
        return new GradingSample(outputText, TryParseJson(outputText), outputTools ?? EmptyArray, choices ?? EmptyArray,
            outputJsonRequired, truncated);
    }

    /// <summary>True when output_json is required but the text is not JSON.</summary>
    public bool HasParseError => OutputJsonRequired && OutputJson is null;

    /// <summary>The whole namespace as one JSON object (what python graders and endpoints receive).</summary>
    public JsonElement ToJson() => _asJson.Value;

    private JsonElement BuildJson()
    {
        var node = new JsonObject
        {
            ["output_text"] = OutputText,
            ["output_json"] = OutputJson is { } j ? JsonNode.Parse(j.GetRawText()) : null,
            ["output_tools"] = JsonNode.Parse(OutputTools.GetRawText()),
            ["choices"] = JsonNode.Parse(Choices.GetRawText()),
        };
        return JsonSerializer.SerializeToElement(node);
    }

    private static JsonElement? TryParseJson(string text)
    {
        var trimmed = StripCodeFence(text.AsSpan().Trim());
        // Only objects and arrays count as structured output; a bare number or string is plain text.
        if (trimmed.IsEmpty || (trimmed[0] != '{' && trimmed[0] != '[')) return null;
        try
        {
            using var doc = JsonDocument.Parse(trimmed.ToString());
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Small models often wrap JSON in a markdown fence (```json ... ```); the fence is not part of the answer.</summary>
    private static ReadOnlySpan<char> StripCodeFence(ReadOnlySpan<char> text)
    {
        if (!text.StartsWith("```", StringComparison.Ordinal) || !text.EndsWith("```", StringComparison.Ordinal) || text.Length < 6)
            return text;
        var firstNewline = text.IndexOf('\n');
        if (firstNewline < 0) return text;
        return text[(firstNewline + 1)..^3].Trim();
    }
}
