using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RftFunctions.Functions.Api;

/// <summary>
/// Removes the server's file-system layout from text a user will read (job errors, grader tracebacks): an absolute
/// path becomes <c>…/</c> plus its last segment, which keeps the file name a traceback needs and hides where the
/// service, its temp folders and its home live. Exceptions from storage, model loading or the python worker carry
/// such paths, and they tell an attacker where secrets and sockets are.
/// </summary>
public static partial class ServerPaths
{
    /// <summary>The text with every absolute path shortened to its last segment.</summary>
    public static string Scrub(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        text = AbsolutePath().Replace(text, m => "…/" + m.Value[(m.Value.TrimEnd('/').LastIndexOf('/') + 1)..]);
        // What the pattern cannot see whole (a folder name with a space) still loses the folders the process runs from.
        foreach (var root in Roots)
            text = text.Replace(root, "…/", StringComparison.Ordinal);
        return text;
    }

    /// <summary>Scrubs every string of a JSON tree in place (property names are the API's, not user text).</summary>
    public static JsonNode? Scrub(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj.ToList())
                {
                    if (value is JsonValue v && v.TryGetValue<string>(out var s)) obj[name] = Scrub(s);
                    else Scrub(value);
                }
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue v && v.TryGetValue<string>(out var s)) array[i] = Scrub(s);
                    else Scrub(array[i]);
                }
                break;
        }
        return node;
    }

    // Folders the process knows it runs from, longest first, with a trailing separator (so "/tmp" in "/tmpfoo" stays).
    private static readonly string[] Roots = new[]
    {
        AppContext.BaseDirectory, Environment.CurrentDirectory, Path.GetTempPath(),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Environment.GetEnvironmentVariable("RFT_ROOT") ?? "",
    }.Where(r => r.Length > 1).Select(r => r.EndsWith('/') ? r : r + "/").Distinct().OrderByDescending(r => r.Length).ToArray();

    // A slash-rooted path of two or more segments not glued to a word, URL scheme or relative path before it.
    [GeneratedRegex(@"(?<![\w.:/~…-])/(?:[\w.@+~-]+/)+[\w.@+~-]*")]
    private static partial Regex AbsolutePath();
}
