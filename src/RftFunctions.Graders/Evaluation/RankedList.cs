using System.Text.Json;
using System.Text.RegularExpressions;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// Extraction and matching for the ranked_list grader (our extension). Entries come from a JSON array, an array inside
/// a JSON object, numbered / bulleted lines, or one comma-separated line; each entry is normalised (trimmed, list
/// markers, quotes and markdown emphasis removed, lowercased unless case-sensitive) and duplicates are dropped, keeping
/// the first.
/// </summary>
internal static partial class RankedList
{
    /// <summary>Extracts the entries in rank order.</summary>
    public static List<string> Extract(string text, string mode, string? field, string? itemField)
    {
        var json = mode is "auto" or "json_array" or "json_field" ? FindJson(text) : null;
        List<string>? entries = null;
        if (json is { } j)
        {
            if (mode is "json_array" or "auto" && j.ValueKind == JsonValueKind.Array) entries = FromArray(j, itemField);
            else if (j.ValueKind == JsonValueKind.Object)
            {
                var array = field is not null ? Navigate(j, field) : mode == "auto" ? FirstArrayProperty(j) : null;
                if (array is { ValueKind: JsonValueKind.Array } a) entries = FromArray(a, itemField);
            }
        }
        if (entries is null && mode is "auto" or "numbered_lines") entries = FromLines(text, fallbackToAllLines: mode == "auto");
        return entries ?? [];
    }

    /// <summary>The reference answers: a JSON array of strings means any of them, otherwise the text itself.</summary>
    public static List<string> References(string reference)
    {
        var trimmed = reference.Trim();
        if (trimmed.StartsWith('['))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                return [.. doc.RootElement.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)];
            }
            catch (JsonException)
            {
                // Not an array after all: a literal reference.
            }
        }
        return [reference];
    }

    /// <summary>
    /// An entry matches a reference when, after normalisation, it equals it or starts with it followed by a character
    /// that is not a letter or digit ("BRCA1 - tumour suppressor" matches "BRCA1"; "BRCA12" does not).
    /// </summary>
    public static bool Matches(string entry, string reference) =>
        entry.Length >= reference.Length && reference.Length > 0 && entry.StartsWith(reference, StringComparison.Ordinal) &&
        (entry.Length == reference.Length || !char.IsLetterOrDigit(entry[reference.Length]));

    public static string Normalize(string s, bool caseSensitive)
    {
        var t = ListMarker().Replace(s.Trim(), "");
        t = t.Trim().Trim('*', '_', '`', '"', '\'').Trim();
        return caseSensitive ? t : t.ToLowerInvariant();
    }

    private static List<string> FromArray(JsonElement array, string? itemField)
    {
        var result = new List<string>();
        foreach (var e in array.EnumerateArray())
        {
            var text = e.ValueKind switch
            {
                JsonValueKind.String => e.GetString(),
                JsonValueKind.Number => e.GetRawText(),
                JsonValueKind.Object when itemField is not null => Navigate(e, itemField) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null,
                JsonValueKind.Object => e.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.String) is
                { ValueKind: JsonValueKind.String } first ? first.GetString() : null,
                _ => null,
            };
            if (text is not null) result.Add(text);
        }
        return result;
    }

    private static List<string>? FromLines(string text, bool fallbackToAllLines)
    {
        var lines = text.Split('\n');
        var marked = lines.Where(l => ListMarker().IsMatch(l.TrimStart())).ToList();
        if (marked.Count > 0) return marked;
        if (!fallbackToAllLines) return null;
        var nonEmpty = lines.Where(l => !string.IsNullOrWhiteSpace(l)).ToList();
        // One line such as "Most likely: BRCA1, TP53; CFTR." is a comma/semicolon-separated list after its label.
        if (nonEmpty.Count == 1 && nonEmpty[0].IndexOfAny([',', ';']) >= 0)
        {
            var line = nonEmpty[0];
            var colon = line.LastIndexOf(':', line.IndexOfAny([',', ';']));
            return [.. line[(colon + 1)..].TrimEnd().TrimEnd('.').Split([',', ';'], StringSplitOptions.RemoveEmptyEntries)];
        }
        return nonEmpty;
    }

    private static JsonElement? FindJson(string text)
    {
        // The whole text first, then the outermost bracketed span that opens first (an object holding an array must
        // not be mistaken for the array inside it).
        var firstArray = text.IndexOf('[', StringComparison.Ordinal);
        var firstObject = text.IndexOf('{', StringComparison.Ordinal);
        var order = firstObject >= 0 && (firstArray < 0 || firstObject < firstArray)
            ? new[] { ('{', '}'), ('[', ']') }
            : new[] { ('[', ']'), ('{', '}') };
        foreach (var (open, close) in order)
        {
            var start = text.IndexOf(open, StringComparison.Ordinal);
            var end = text.LastIndexOf(close);
            if (start < 0 || end <= start) continue;
            try
            {
                using var doc = JsonDocument.Parse(text.AsMemory(start, end - start + 1));
                return doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Try the other bracket kind, then lines.
            }
        }
        return null;
    }

    private static JsonElement? Navigate(JsonElement e, string path)
    {
        foreach (var part in path.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e)) return null;
        }
        return e;
    }

    private static JsonElement? FirstArrayProperty(JsonElement obj) =>
        obj.EnumerateObject().Select(p => p.Value).FirstOrDefault(v => v.ValueKind == JsonValueKind.Array) is
        { ValueKind: JsonValueKind.Array } a ? a : null;

    // "1.", "1)", "#1", "(1)", "-", "*", "•" at the start of a line.
    [GeneratedRegex(@"^(\(?#?\d+[.):]|[-*•])\s+")]
    private static partial Regex ListMarker();
}
