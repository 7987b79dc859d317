using System.Text.Json;

namespace RftFunctions.Training.Datasets;

/// <summary>
/// Finds the first string in a JSON document that is not valid text. JSON may escape a lone UTF-16 surrogate
/// (<c>"\ud800"</c>), which parses but cannot be read as a .NET string, encoded as UTF-8 or stored: left alone it
/// surfaces as an <see cref="InvalidOperationException"/> (a 500 in the API) wherever the field is first read. Checking every
/// string and property name once, where a request body or a dataset line is parsed, turns it into an error naming the field.
/// </summary>
public static class JsonTextCheck
{
    /// <summary>The path of the first invalid string or property name (<c>messages[0].content</c>), or null.</summary>
    /// <remarks>Recursion is bounded by the parser's <see cref="JsonDocumentOptions.MaxDepth"/>.</remarks>
    public static string? FindInvalidString(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsValid(element) ? null : Named(path);
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return Named(path);
                    }
                    if (FindInvalidString(property.Value, path.Length == 0 ? name : $"{path}.{name}") is { } found) return found;
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalidString(item, $"{path}[{i}]") is { } found) return found;
                    i++;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsValid(JsonElement element)
    {
        try
        {
            element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Named(string path) => path.Length == 0 ? "$" : path;
}
