using System.Text.Json;

namespace RftFunctions.Model.Tokenization;

/// <summary>
/// The parts of a Hugging Face <c>tokenizer_config.json</c> this project uses: which added tokens are BOS, EOS, PAD and
/// UNK, and the chat template (from the file, or from a <c>chat_template.jinja</c> next to it as newer transformers
/// versions save it).
/// </summary>
public sealed record TokenizerConfig
{
    /// <summary>The beginning-of-sequence token text, or null (Qwen has none).</summary>
    public string? BosToken { get; init; }

    /// <summary>The end-of-sequence token text, or null.</summary>
    public string? EosToken { get; init; }

    /// <summary>The padding token text, or null.</summary>
    public string? PadToken { get; init; }

    /// <summary>The unknown token text, or null.</summary>
    public string? UnkToken { get; init; }

    /// <summary>The default Jinja chat template, or null when the model has none.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>An empty configuration (no special tokens, no template).</summary>
    public static TokenizerConfig Empty { get; } = new();

    /// <summary>Reads <paramref name="path"/>; a <c>chat_template.jinja</c> beside it supplies a missing template.</summary>
    public static TokenizerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerFormatException(path, "(file)", "file not found");
        TokenizerConfig config;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            config = Parse(document.RootElement, path);
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, $"line {e.LineNumber + 1}", "not valid JSON: " + e.Message, e);
        }
        var jinja = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "chat_template.jinja");
        if (config.ChatTemplate is null && File.Exists(jinja)) config = config with { ChatTemplate = File.ReadAllText(jinja) };
        return config;
    }

    /// <summary>Parses tokenizer_config.json content; <paramref name="file"/> names it in errors.</summary>
    public static TokenizerConfig Parse(JsonElement root, string file)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new TokenizerFormatException(file, "(root)", "expected a JSON object");
        return new TokenizerConfig
        {
            BosToken = TokenText(root, "bos_token", file),
            EosToken = TokenText(root, "eos_token", file),
            PadToken = TokenText(root, "pad_token", file),
            UnkToken = TokenText(root, "unk_token", file),
            ChatTemplate = Template(root, file),
        };
    }

    private static string? TokenText(JsonElement root, string name, string file)
    {
        if (!root.TryGetProperty(name, out var value)) return null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                return value.GetString();
            case JsonValueKind.Object when value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String:
                return content.GetString(); // The serialized AddedToken form: {"__type": "AddedToken", "content": ...}.
            default:
                throw new TokenizerFormatException(file, name, $"expected a string, an AddedToken object or null, found {value.ValueKind}");
        }
    }

    private static string? Template(JsonElement root, string file)
    {
        if (!root.TryGetProperty("chat_template", out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind != JsonValueKind.Array)
            throw new TokenizerFormatException(file, "chat_template", $"expected a string or a list of named templates, found {value.ValueKind}");
        // Several named templates (e.g. "default", "tool_use"): the default one renders conversations.
        int index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object ||
                !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String ||
                !item.TryGetProperty("template", out var template) || template.ValueKind != JsonValueKind.String)
            {
                throw new TokenizerFormatException(file, $"chat_template[{index}]", "expected {\"name\": string, \"template\": string}");
            }
            if (name.GetString() == "default") return template.GetString();
            index++;
        }
        throw new TokenizerFormatException(file, "chat_template", "a list of named templates without one named 'default'");
    }
}
