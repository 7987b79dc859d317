using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>
/// The few Python/Jinja string operations chat templates use, with Python's exact semantics: <c>str.strip()</c>'s
/// whitespace set and the <c>tojson</c> filter of transformers (<c>json.dumps</c> with ", " and ": " separators and
/// non-ASCII characters kept).
/// </summary>
internal static class PythonText
{
    /// <summary>Python <c>str.strip()</c> (Jinja <c>| trim</c>): removes characters for which <c>str.isspace()</c> is true.</summary>
    public static string Strip(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsSpace(text[start])) start++;
        while (end > start && IsSpace(text[end - 1])) end--;
        return text[start..end];
    }

    /// <summary>Python <c>str.strip(chars)</c>, <c>lstrip</c> and <c>rstrip</c> with a set of characters.</summary>
    public static string Strip(string text, char c, bool left = true, bool right = true)
    {
        int start = 0, end = text.Length;
        while (left && start < end && text[start] == c) start++;
        while (right && end > start && text[end - 1] == c) end--;
        return text[start..end];
    }

    // Python's str.isspace(): Unicode White_Space plus the ASCII information separators 0x1C-0x1F.
    private static bool IsSpace(char c) =>
        c is (>= '\t' and <= '\r') or (>= '\x1c' and <= ' ') or '\x85' or '\xa0' or '\u1680' or (>= '\u2000' and <= '\u200a')
            or '\u2028' or '\u2029' or '\u202f' or '\u205f' or '\u3000';

    /// <summary>The Jinja <c>tojson</c> output for the JSON value in <paramref name="json"/>.</summary>
    public static string ToJson(string json, string what) => ToJson(json, what, indent: 0);

    /// <summary>
    /// The Jinja <c>tojson(indent=N)</c> output (Python's <c>json.dumps(indent=N)</c>: one member per line, ", " between
    /// items becomes ",\n", empty objects and arrays stay <c>{}</c> / <c>[]</c>); indent 0 is the one-line form.
    /// </summary>
    public static string ToJson(string json, string what, int indent)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{what} is not valid JSON: {e.Message}", e);
        }
        var output = new StringBuilder();
        Write(node, output, indent, depth: 0);
        return output.ToString();
    }

    /// <summary>The Jinja <c>tojson</c> output for a string value.</summary>
    public static string ToJsonString(string value)
    {
        var output = new StringBuilder();
        WriteString(value, output);
        return output.ToString();
    }

    private static void Write(JsonNode? node, StringBuilder output, int indent, int depth)
    {
        // Python's json.dumps: with an indent, items are separated by "," + newline + indentation; without, by ", ".
        void Separator(int level)
        {
            if (indent == 0) return;
            output.Append('\n').Append(' ', indent * level);
        }
        switch (node)
        {
            case null:
                output.Append("null");
                break;
            case JsonObject obj:
                output.Append('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first) output.Append(indent == 0 ? ", " : ",");
                    first = false;
                    Separator(depth + 1);
                    WriteString(key, output);
                    output.Append(": ");
                    Write(value, output, indent, depth + 1);
                }
                if (obj.Count > 0) Separator(depth);
                output.Append('}');
                break;
            case JsonArray array:
                output.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0) output.Append(indent == 0 ? ", " : ",");
                    Separator(depth + 1);
                    Write(array[i], output, indent, depth + 1);
                }
                if (array.Count > 0) Separator(depth);
                output.Append(']');
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                WriteString(value.GetValue<string>(), output);
                break;
            default:
                output.Append(node.ToJsonString()); // Numbers, true, false as written.
                break;
        }
    }

    private static void WriteString(string value, StringBuilder output)
    {
        output.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                default:
                    if (c < ' ') output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else output.Append(c);
                    break;
            }
        }
        output.Append('"');
    }
}
