using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Training.Datasets;

/// <summary>
/// Reads OpenAI RFT JSONL: one JSON object per line with <c>messages</c> (the last from the user) and free-form grading
/// fields. Reading goes on past bad lines so one pass reports every problem with its line and field; nothing is
/// silently dropped. Blank lines are skipped.
/// </summary>
public static class RftDatasetReader
{
    /// <summary>Lines nest at most 64 deep (an RFT example nests about 6); deeper is an invalid_json error.</summary>
    private static readonly JsonDocumentOptions LineOptions = new() { MaxDepth = 64 };

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly HashSet<string> Roles = ["developer", "system", "user", "assistant", "tool"];

    /// <summary>Reads a dataset file; <paramref name="limits"/> defaults to OpenAI's training-file limits.</summary>
    public static DatasetReadResult ReadFile(string path, DatasetLimits? limits = null)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, limits);
    }

    /// <summary>Reads a dataset from a stream (read to its end, line by line, never whole into memory).</summary>
    public static DatasetReadResult Read(Stream stream, DatasetLimits? limits = null)
    {
        limits ??= DatasetLimits.Training;
        var examples = new List<RftExample>();
        var errors = new List<DatasetError>();
        var line = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int lineNumber = 1, nonEmptyLines = 0;
        long fileBytes = 0;
        bool oversized = false, first = true, tooMany = false;

        void EndLine()
        {
            if (oversized)
            {
                errors.Add(new DatasetError(lineNumber, null, "line_too_large", $"the line is larger than {limits.MaxLineBytes} bytes"));
                nonEmptyLines++;
            }
            else if (line.Length > 0)
            {
                var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
                if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
                if (!IsBlank(bytes))
                {
                    nonEmptyLines++;
                    if (nonEmptyLines > limits.MaxLines)
                    {
                        tooMany = true;
                    }
                    else
                    {
                        var example = ParseLine(bytes, lineNumber, errors);
                        if (example is not null) examples.Add(example);
                    }
                }
            }
            line.SetLength(0);
            oversized = false;
            lineNumber++;
        }

        int read;
        while (!tooMany && (read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            fileBytes += read;
            if (fileBytes > limits.MaxFileBytes)
            {
                errors.Add(new DatasetError(0, null, "file_too_large", $"the file is larger than {limits.MaxFileBytes} bytes"));
                return new DatasetReadResult(examples, errors);
            }
            var chunk = buffer.AsSpan(0, read);
            if (first)
            {
                first = false;
                if (chunk.StartsWith("\uFEFF"u8))
                {
                    errors.Add(new DatasetError(1, null, "byte_order_mark", "the file starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without BOM"));
                    chunk = chunk[3..];
                }
            }
            while (chunk.Length > 0)
            {
                int newline = chunk.IndexOf((byte)'\n');
                var part = newline < 0 ? chunk : chunk[..newline];
                if (!oversized)
                {
                    if (line.Length + part.Length > limits.MaxLineBytes) oversized = true;
                    else line.Write(part);
                }
                if (newline < 0) break;
                EndLine();
                if (tooMany) break;
                chunk = chunk[(newline + 1)..];
            }
        }
        if (!tooMany && (line.Length > 0 || oversized)) EndLine();
        if (tooMany)
            errors.Add(new DatasetError(0, null, "too_many_lines", $"the file has more than {limits.MaxLines} examples"));
        else if (nonEmptyLines == 0 && errors.Count == 0)
            errors.Add(new DatasetError(0, null, "empty_file", "the file has no examples"));
        return new DatasetReadResult(examples, errors);
    }

    private static bool IsBlank(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    private static RftExample? ParseLine(ReadOnlySpan<byte> bytes, int lineNumber, List<DatasetError> errors)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            errors.Add(new DatasetError(lineNumber, null, "invalid_utf8", $"the line is not valid UTF-8 (byte {e.Index})"));
            return null;
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(text, LineOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            errors.Add(new DatasetError(lineNumber, null, "invalid_json", $"invalid JSON at column {e.BytePositionInLine + 1}: {e.Message.Split(" Path:")[0]}"));
            return null;
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new DatasetError(lineNumber, null, "not_an_object", "each line must be a JSON object"));
            return null;
        }
        // A lone surrogate ("\ud800") parses but cannot be read as a string; name it here rather than fail on first use.
        if (JsonTextCheck.FindInvalidString(root) is { } field)
        {
            errors.Add(new DatasetError(lineNumber, field, "invalid_string", "the string is not valid Unicode text (a lone UTF-16 surrogate)"));
            return null;
        }
        var item = JsonObject.Create(root)!;

        int before = errors.Count;
        var messages = ReadMessages(item, lineNumber, errors);
        if (item["tools"] is { } tools && tools is not JsonArray)
            errors.Add(new DatasetError(lineNumber, "tools", "invalid_tools", "tools must be an array"));
        return errors.Count == before ? new RftExample(lineNumber, messages, item) : null;
    }

    private static List<ChatMessage> ReadMessages(JsonObject item, int lineNumber, List<DatasetError> errors)
    {
        var messages = new List<ChatMessage>();
        if (!item.TryGetPropertyValue("messages", out var node) || node is null)
        {
            errors.Add(new DatasetError(lineNumber, "messages", "missing_messages", "messages is missing"));
            return messages;
        }
        if (node is not JsonArray array)
        {
            errors.Add(new DatasetError(lineNumber, "messages", "invalid_messages", "messages must be an array"));
            return messages;
        }
        if (array.Count == 0)
        {
            errors.Add(new DatasetError(lineNumber, "messages", "empty_messages", "messages is empty; it needs at least one user message"));
            return messages;
        }
        for (int i = 0; i < array.Count; i++)
        {
            var path = $"messages[{i}]";
            if (array[i] is not JsonObject message)
            {
                errors.Add(new DatasetError(lineNumber, path, "invalid_message", "a message must be an object with role and content"));
                continue;
            }
            var role = (message["role"] as JsonValue)?.TryGetValue<string>(out var r) == true ? r : null;
            if (role is null)
            {
                errors.Add(new DatasetError(lineNumber, path + ".role", "missing_role", "role is missing or not a string"));
                continue;
            }
            if (!Roles.Contains(role))
            {
                errors.Add(new DatasetError(lineNumber, path + ".role", "unknown_role", $"unknown role '{role}'; use developer, system, user, assistant or tool"));
                continue;
            }
            var content = ReadContent(message["content"], lineNumber, path + ".content", role, message, errors);
            if (content is null) continue;
            var toolCallId = (message["tool_call_id"] as JsonValue)?.TryGetValue<string>(out var id) == true ? id : null;
            messages.Add(new ChatMessage(role == "system" ? "developer" : role, content, toolCallId));
        }
        if (array[^1] is JsonObject last && (last["role"] as JsonValue)?.TryGetValue<string>(out var lastRole) == true
            && Roles.Contains(lastRole) && lastRole != "user")
            errors.Add(new DatasetError(lineNumber, $"messages[{array.Count - 1}].role", "last_message_not_user", $"the last message must be from the user, not '{lastRole}'"));
        return messages;
    }

    private static string? ReadContent(JsonNode? content, int lineNumber, string path, string role, JsonObject message, List<DatasetError> errors)
    {
        switch (content)
        {
            case JsonValue value when value.TryGetValue<string>(out var text):
                return text;
            case null when role == "assistant" && message["tool_calls"] is JsonArray:
                return "";
            case null:
                errors.Add(new DatasetError(lineNumber, path, "missing_content", "content is missing"));
                return null;
            case JsonArray parts:
                var joined = new StringBuilder();
                for (int i = 0; i < parts.Count; i++)
                {
                    var type = (parts[i]?["type"] as JsonValue)?.TryGetValue<string>(out var t) == true ? t : null;
                    var partText = (parts[i]?["text"] as JsonValue)?.TryGetValue<string>(out var pt) == true ? pt : null;
                    if (type is not ("text" or "input_text") || partText is null)
                    {
                        errors.Add(new DatasetError(lineNumber, $"{path}[{i}]", "invalid_content", "content parts must be {\"type\": \"text\", \"text\": \"...\"}"));
                        return null;
                    }
                    joined.Append(partText);
                }
                return joined.ToString();
            default:
                errors.Add(new DatasetError(lineNumber, path, "invalid_content", "content must be a string or an array of text parts"));
                return null;
        }
    }
}
