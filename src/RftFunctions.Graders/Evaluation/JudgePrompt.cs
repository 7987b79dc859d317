using System.Globalization;
using System.Text;
using System.Text.Json;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Models;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Evaluation;

/// <summary>Shared by score_model and label_model: renders the messages and reads the judge's JSON answer.</summary>
internal static class JudgePrompt
{
    /// <summary>One message: role plus its templates (a string content is one template; content parts one each).</summary>
    internal sealed record CompiledMessage(string Role, IReadOnlyList<Template> Parts);

    public static IReadOnlyList<CompiledMessage> Compile(IReadOnlyList<GraderMessage> messages) =>
        [.. messages.Select(m => new CompiledMessage(m.Role, ContentTemplates(m.Content)))];

    private static List<Template> ContentTemplates(JsonElement content)
    {
        var parts = new List<Template>();
        void AddPart(JsonElement p)
        {
            if (p.ValueKind == JsonValueKind.String) parts.Add(Template.Parse(p.GetString()!));
            else if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                parts.Add(Template.Parse(t.GetString()!));
            else if (p.ValueKind == JsonValueKind.Object && p.TryGetProperty("image_url", out var u) && u.ValueKind == JsonValueKind.String)
                parts.Add(Template.Parse("[image: " + u.GetString() + "]")); // text-only judges see where the image was
        }
        if (content.ValueKind == JsonValueKind.Array)
            foreach (var p in content.EnumerateArray()) AddPart(p);
        else AddPart(content);
        return parts;
    }

    /// <summary>Renders every message; false (with the missing variable) when a template cannot be filled.</summary>
    public static bool TryRender(IReadOnlyList<CompiledMessage> messages, GradingContext context, string instruction,
        out List<ChatMessage> rendered, out string? missing)
    {
        rendered = new List<ChatMessage>(messages.Count + 1);
        foreach (var m in messages)
        {
            var sb = new StringBuilder();
            foreach (var part in m.Parts)
            {
                if (!part.TryRender(context.Sample, context.Item, out var text, out missing)) return false;
                if (sb.Length > 0) sb.Append('\n');
                sb.Append(text);
            }
            rendered.Add(new ChatMessage(m.Role == "developer" ? "system" : m.Role, sb.ToString()));
        }
        missing = null;
        // The answer format goes into the (first) system message so chat templates that allow one system turn still work.
        if (rendered.Count > 0 && rendered[0].Role == "system")
            rendered[0] = rendered[0] with { Content = rendered[0].Content + "\n\n" + instruction };
        else rendered.Insert(0, new ChatMessage("system", instruction));
        return true;
    }

    /// <summary>Finds the JSON object in a judge answer (tolerates code fences and prose around it).</summary>
    public static JsonElement? ExtractJsonObject(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start) return null;
        try
        {
            using var doc = JsonDocument.Parse(text.AsMemory(start, end - start + 1));
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads a number from the answer's <c>result</c> (a number, or a string holding one); a bare number answer also counts.</summary>
    public static double? ReadResultNumber(string? text)
    {
        if (ExtractJsonObject(text) is { } obj)
        {
            if (!obj.TryGetProperty("result", out var r)) return null;
            if (r.ValueKind == JsonValueKind.Number) return r.GetDouble();
            if (r.ValueKind == JsonValueKind.String &&
                double.TryParse(r.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var fromString)) return fromString;
            return null;
        }
        return double.TryParse(text?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var bare) ? bare : null;
    }

    /// <summary>Applies a judge response's common outcomes: usage, model name, refusal. True when there is content to parse.</summary>
    public static bool Accept(ChatModelResponse response, string configuredModel, GraderResult result)
    {
        var model = response.Model ?? configuredModel;
        result.Metadata.SampledModelName = model;
        if (response.Usage is { } usage) result.AddUsage(model, usage);
        if (response.Refusal is not null || response.FinishReason == "content_filter")
        {
            result.Errors.ModelGraderRefusalError = true;
            result.Errors.AddDetail($"the judge refused: {response.Refusal ?? "content filter"}");
            return false;
        }
        return true;
    }

    /// <summary>Calls the judge; a failure becomes model_grader_server_error. Null when it failed.</summary>
    public static async Task<ChatModelResponse?> CallAsync(IChatModelClient? client, ChatModelRequest request, GraderResult result,
        CancellationToken ct)
    {
        if (client is null)
        {
            result.Errors.ModelGraderServerError = true;
            result.Errors.ModelGraderServerErrorDetails = "no judge model client is configured for model graders";
            return null;
        }
        try
        {
            return await client.CompleteAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            result.Errors.ModelGraderServerError = true;
            result.Errors.ModelGraderServerErrorDetails = $"{e.GetType().Name}: {e.Message}";
            return null;
        }
    }

    public static ChatModelRequest Request(string model, List<ChatMessage> messages, GraderSamplingParams? sp, JsonElement schema) => new()
    {
        Model = model,
        Messages = messages,
        Temperature = sp?.Temperature,
        TopP = sp?.TopP,
        Seed = sp?.Seed,
        MaxCompletionTokens = sp?.MaxCompletionsTokens,
        ReasoningEffort = sp?.ReasoningEffort,
        ResponseSchema = schema,
    };
}
