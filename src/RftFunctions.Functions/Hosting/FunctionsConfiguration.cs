using System.Text.Json;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// Reads configuration the way an Azure Functions developer expects: <c>host.json</c> under the
/// <c>AzureFunctionsJobHost</c> section (as the Functions host exposes it), then <c>local.settings.json</c>'s
/// <c>Values</c> as top-level settings, then environment variables (<c>__</c> nests), then the command line.
/// Later sources win, so operators override files without editing them.
/// </summary>
public static class FunctionsConfiguration
{
    /// <summary>The section that holds host.json, as in the Functions host.</summary>
    public const string HostSection = "AzureFunctionsJobHost";

    /// <summary>Replaces the builder's sources with the Functions-style ones rooted at <paramref name="root"/>.</summary>
    public static void Apply(IConfigurationBuilder configuration, string root, string[] args)
    {
        configuration.Sources.Clear();
        var hostJson = Path.Combine(root, "host.json");
        if (File.Exists(hostJson))
            configuration.AddInMemoryCollection(Flatten(ReadJson(hostJson), HostSection));
        var localSettings = Path.Combine(root, "local.settings.json");
        if (File.Exists(localSettings))
            configuration.AddInMemoryCollection(ReadLocalSettingsValues(localSettings));
        configuration.AddEnvironmentVariables("ASPNETCORE_");
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
    }

    /// <summary>
    /// Copies <c>local.settings.sample.json</c> to <c>local.settings.json</c> when the latter is missing, as a new
    /// Functions project starts; returns true when it did.
    /// </summary>
    public static bool EnsureLocalSettings(string root)
    {
        var target = Path.Combine(root, "local.settings.json");
        var sample = Path.Combine(root, "local.settings.sample.json");
        if (File.Exists(target) || !File.Exists(sample)) return false;
        File.Copy(sample, target);
        return true;
    }

    /// <summary>The <c>Values</c> of a local.settings.json; <c>__</c> in names nests, as in environment variables.</summary>
    public static Dictionary<string, string?> ReadLocalSettingsValues(string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        using var document = ReadJson(path);
        if (!document.RootElement.TryGetProperty("Values", out var section)) return values;
        if (section.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: 'Values' must be an object of setting names to strings.");
        foreach (var setting in section.EnumerateObject())
        {
            var key = setting.Name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            values[key] = setting.Value.ValueKind switch
            {
                JsonValueKind.String => setting.Value.GetString(),
                JsonValueKind.Null => null,
                _ => setting.Value.GetRawText(),
            };
        }
        return values;
    }

    private static JsonDocument ReadJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e);
        }
    }

    private static Dictionary<string, string?> Flatten(JsonDocument document, string prefix)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Walk(JsonElement element, string path)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject()) Walk(property.Value, ConfigurationPath.Combine(path, property.Name));
                    break;
                case JsonValueKind.Array:
                    int index = 0;
                    foreach (var item in element.EnumerateArray()) Walk(item, ConfigurationPath.Combine(path, (index++).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case JsonValueKind.String:
                    result[path] = element.GetString();
                    break;
                case JsonValueKind.Null:
                    result[path] = null;
                    break;
                default:
                    result[path] = element.GetRawText();
                    break;
            }
        }
        using (document) Walk(document.RootElement, prefix);
        return result;
    }
}
