using System.Security.Cryptography;
using System.Text.Json;
using RftFunctions.Model;
using TemplateMessage = RftFunctions.Model.Tokenization.Chat.ChatMessage;

namespace RftFunctions.Functions.Api.Chat;

/// <summary>A parsed <c>POST /v1/chat/completions</c> body; every bad field is a 400 naming it.</summary>
public sealed record ChatRequest
{
    /// <summary>The model id.</summary>
    public required string Model { get; init; }

    /// <summary>The conversation.</summary>
    public required IReadOnlyList<TemplateMessage> Messages { get; init; }

    /// <summary>Sampling parameters (seed random when the request has none).</summary>
    public required SamplingParameters Sampling { get; init; }

    /// <summary>Whether the seed came from the request (only then are results reproducible).</summary>
    public bool SeedGiven { get; init; }

    /// <summary>Answer as server-sent events.</summary>
    public bool Stream { get; init; }

    /// <summary>With <see cref="Stream"/>: a last chunk carrying usage.</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>Return log-probs of the sampled tokens.</summary>
    public bool LogProbs { get; init; }

    /// <summary>The json_schema's schema, or a schema-less JSON requirement (json_object), or null for text.</summary>
    public JsonElement? JsonSchema { get; init; }

    /// <summary>True for response_format json_object or json_schema.</summary>
    public bool RequiresJson { get; init; }

    private static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    /// <summary>Parses and checks the body.</summary>
    public static ChatRequest Parse(JsonElement body)
    {
        ChatParameters.RefuseUnknown(body);
        var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && m.GetString()!.Length > 0
            ? m.GetString()! : throw Missing("model", "a non-empty string");
        if (!body.TryGetProperty("messages", out var ms) || ms.ValueKind != JsonValueKind.Array || ms.GetArrayLength() == 0)
            throw Missing("messages", "a non-empty array");
        var messages = new List<TemplateMessage>();
        int index = 0;
        foreach (var message in ms.EnumerateArray())
        {
            var at = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object) throw Bad($"{at} must be an object.", at);
            var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw Missing($"{at}.role", "a string");
            if (!Roles.Contains(role)) throw Bad($"{at}.role: unknown role '{role}' (expected system, developer, user, assistant or tool).", $"{at}.role");
            messages.Add(new TemplateMessage(role, Content(message, at, role)));
        }

        var temperature = Number(body, "temperature", 1.0, 0, 2);
        var topP = Number(body, "top_p", 1.0, double.Epsilon, 1);
        int maxTokens = Integer(body, "max_completion_tokens", 0, 1, 1 << 20);
        if (maxTokens == 0) maxTokens = Integer(body, "max_tokens", 256, 1, 1 << 20);
        var n = Integer(body, "n", 1, 1, 128);
        bool seedGiven = body.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null;
        long seed = seedGiven
            ? s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var given) ? given : throw Bad("seed must be an integer.", "seed")
            : BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;
        var stream = Bool(body, "stream");
        bool includeUsage = false;
        if (body.TryGetProperty("stream_options", out var so) && so.ValueKind != JsonValueKind.Null)
        {
            if (so.ValueKind != JsonValueKind.Object) throw Bad("stream_options must be an object.", "stream_options");
            if (!stream) throw Bad("stream_options is only allowed with stream: true.", "stream_options");
            includeUsage = Bool(so, "include_usage");
        }
        if (body.TryGetProperty("top_logprobs", out var tl) && tl.ValueKind != JsonValueKind.Null && !(tl.ValueKind == JsonValueKind.Number && tl.TryGetInt32(out var k) && k == 0))
            throw Bad("top_logprobs is not supported: only the sampled tokens' log-probs are returned (logprobs: true).", "top_logprobs");
        if (body.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
            throw Bad("tools are not supported by the chat endpoint yet.", "tools");

        var (requiresJson, schema) = ResponseFormat(body);
        return new ChatRequest
        {
            Model = model,
            Messages = messages,
            Sampling = new SamplingParameters
            {
                Temperature = temperature,
                TopP = topP,
                MaxTokens = maxTokens,
                N = n,
                Seed = seed,
                Stop = Stop(body),
            },
            SeedGiven = seedGiven,
            Stream = stream,
            IncludeUsage = includeUsage,
            LogProbs = Bool(body, "logprobs"),
            RequiresJson = requiresJson,
            JsonSchema = schema,
        };
    }

    private static string Content(JsonElement message, string at, string role)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
            return role == "assistant" ? "" : throw Missing($"{at}.content", "a string or an array of text parts");
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw Bad($"{at}.content must be a string or an array of text parts.", $"{at}.content");
        var text = new System.Text.StringBuilder();
        int i = 0;
        foreach (var part in c.EnumerateArray())
        {
            var p = $"{at}.content[{i++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                throw Bad($"{p} must be an object with a 'type'.", p);
            if (type.GetString() != "text") throw Bad($"{p}: only 'text' parts are supported, got '{type.GetString()}'.", $"{p}.type");
            text.Append(part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : throw Missing($"{p}.text", "a string"));
        }
        return text.ToString();
    }

    private static (bool RequiresJson, JsonElement? Schema) ResponseFormat(JsonElement body)
    {
        if (!body.TryGetProperty("response_format", out var rf) || rf.ValueKind == JsonValueKind.Null) return (false, null);
        if (rf.ValueKind != JsonValueKind.Object || !rf.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            throw Bad("response_format must be an object with a 'type'.", "response_format");
        switch (type.GetString())
        {
            case "text": return (false, null);
            case "json_object": return (true, null);
            case "json_schema":
                if (!rf.TryGetProperty("json_schema", out var js) || js.ValueKind != JsonValueKind.Object)
                    throw Missing("response_format.json_schema", "an object");
                if (!js.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                    throw Missing("response_format.json_schema.name", "a string");
                if (js.TryGetProperty("schema", out var schema) && schema.ValueKind != JsonValueKind.Null)
                    return schema.ValueKind == JsonValueKind.Object ? (true, schema.Clone()) : throw Bad("response_format.json_schema.schema must be an object.", "response_format.json_schema.schema");
                return (true, null);
            default:
                throw Bad($"response_format.type must be text, json_object or json_schema, got '{type.GetString()}'.", "response_format.type");
        }
    }

    private static IReadOnlyList<string> Stop(JsonElement body)
    {
        if (!body.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return [];
        if (stop.ValueKind == JsonValueKind.String) return stop.GetString()!.Length > 0 ? [stop.GetString()!] : throw Bad("stop must not be empty.", "stop");
        if (stop.ValueKind != JsonValueKind.Array || stop.GetArrayLength() > 4) throw Bad("stop must be a string or an array of up to 4 strings.", "stop");
        var list = stop.EnumerateArray().Select(s => s.ValueKind == JsonValueKind.String && s.GetString()!.Length > 0 ? s.GetString()! : throw Bad("stop entries must be non-empty strings.", "stop")).ToList();
        return list;
    }

    private static double Number(JsonElement body, string name, double fallback, double min, double max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number) throw Bad($"{name} must be a number.", name);
        var x = v.GetDouble();
        return x >= min && x <= max ? x : throw Bad($"{name} must be between {(min == double.Epsilon ? 0 : min)} and {max}, got {x}.", name);
    }

    private static int Integer(JsonElement body, string name, int fallback, int min, int max)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var x)) throw Bad($"{name} must be an integer.", name);
        return x >= min && x <= max ? x : throw Bad($"{name} must be between {min} and {max}, got {x}.", name);
    }

    private static bool Bool(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return false;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad($"{name} must be a boolean.", name),
        };
    }

    private static ApiException Missing(string name, string what) => ApiException.BadRequest($"Missing or invalid '{name}': expected {what}.", name, "missing_required_parameter");

    private static ApiException Bad(string message, string param) => ApiException.BadRequest(message, param, "invalid_value");
}
