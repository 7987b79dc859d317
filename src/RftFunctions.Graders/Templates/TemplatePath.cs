using System.Globalization;
using System.Text.Json;

namespace RftFunctions.Graders.Templates;

/// <summary>A template variable such as <c>item.a.b[0]</c> or <c>sample.output_json["key"]</c>.</summary>
public sealed class TemplatePath
{
    /// <summary>The longest variable path accepted, in characters.</summary>
    public const int MaxLength = 256;

    /// <summary>The most <c>.field</c> / <c>[index]</c> steps one path may take (JSON itself nests at most 64 deep).</summary>
    public const int MaxSegments = 64;

    private readonly object[] _segments; // string (property) or int (array index)

    private TemplatePath(string text, string root, object[] segments)
    {
        Text = text;
        Root = root;
        _segments = segments;
    }

    /// <summary>The path as written (trimmed).</summary>
    public string Text { get; }

    /// <summary><c>item</c> or <c>sample</c>.</summary>
    public string Root { get; }

    /// <summary>Parses a path; throws <see cref="TemplateParseException"/> with the reason.</summary>
    public static TemplatePath Parse(string text)
    {
        var s = text.Trim();
        if (s.Length > MaxLength)
            throw new TemplateParseException($"the variable '{s[..32]}...' is {s.Length} characters long; the limit is {MaxLength}");
        var pos = 0;
        var root = ReadName(s, ref pos);
        if (root.Length == 0) throw new TemplateParseException($"'{s}' is not a variable path");
        if (root is not ("item" or "sample"))
            throw new TemplateParseException($"unknown namespace '{root}' in '{s}' (use item.* or sample.*)");
        var segments = new List<object>();
        while (pos < s.Length)
        {
            if (segments.Count == MaxSegments)
                throw new TemplateParseException($"the variable '{s[..32]}...' has more than {MaxSegments} steps");
            if (s[pos] == '.')
            {
                pos++;
                var name = ReadName(s, ref pos);
                if (name.Length == 0) throw new TemplateParseException($"empty field name after '.' in '{s}'");
                segments.Add(name);
            }
            else if (s[pos] == '[')
            {
                var close = s.IndexOf(']', pos);
                if (close < 0) throw new TemplateParseException($"missing ']' in '{s}'");
                var inner = s[(pos + 1)..close].Trim();
                if (inner.Length >= 2 && inner[0] is '"' or '\'' && inner[^1] == inner[0]) segments.Add(inner[1..^1]);
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) segments.Add(index);
                else throw new TemplateParseException($"'[{inner}]' in '{s}' is neither an index nor a quoted key");
                pos = close + 1;
            }
            else throw new TemplateParseException($"unexpected '{s[pos]}' in '{s}'");
        }
        if (root == "sample" && segments.Count > 0 && segments[0] is string first &&
            first is not ("output_text" or "output_json" or "output_tools" or "choices"))
            throw new TemplateParseException(
                $"unknown sample field '{first}' in '{s}' (output_text, output_json, output_tools, choices)");
        return new TemplatePath(s, root, [.. segments]);
    }

    /// <summary>Resolves the path; false when any step is missing.</summary>
    public bool TryResolve(GradingSample sample, JsonElement item, out TemplateValue value)
    {
        JsonElement current;
        var start = 0;
        if (Root == "sample")
        {
            if (_segments.Length == 0)
            {
                value = new TemplateValue(null, sample.ToJson());
                return true;
            }
            switch ((string)_segments[0])
            {
                case "output_text":
                    if (_segments.Length == 1)
                    {
                        value = new TemplateValue(sample.OutputText, default);
                        return true;
                    }
                    value = default;
                    return false;
                case "output_json":
                    if (sample.OutputJson is not { } json)
                    {
                        value = default;
                        return false;
                    }
                    current = json;
                    break;
                case "output_tools":
                    current = sample.OutputTools;
                    break;
                default:
                    current = sample.Choices;
                    break;
            }
            start = 1;
        }
        else current = item;

        for (var i = start; i < _segments.Length; i++)
        {
            if (_segments[i] is string name)
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                {
                    value = default;
                    return false;
                }
            }
            else
            {
                var index = (int)_segments[i];
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    value = default;
                    return false;
                }
                current = current[index];
            }
        }
        if (current.ValueKind == JsonValueKind.Undefined)
        {
            value = default;
            return false;
        }
        value = new TemplateValue(null, current);
        return true;
    }

    private static string ReadName(string s, ref int pos)
    {
        var start = pos;
        while (pos < s.Length && s[pos] is not ('.' or '[' or ']') && !char.IsWhiteSpace(s[pos])) pos++;
        return s[start..pos];
    }
}

/// <summary>A resolved template value: a plain string (output_text) or a JSON element.</summary>
public readonly record struct TemplateValue(string? Text, JsonElement Json)
{
    /// <summary>
    /// Text form: strings as they are, numbers and booleans as JSON literals, null as <c>null</c>, objects and arrays as
    /// compact JSON.
    /// </summary>
    public string Render() => Text ?? (Json.ValueKind == JsonValueKind.String ? Json.GetString()! : Json.GetRawText());
}

/// <summary>A template or variable path that cannot be parsed.</summary>
public sealed class TemplateParseException(string message) : Exception(message);
