using System.Reflection;
using System.Text.Json;
using Xunit;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>One binding of a function as the Functions SDK wrote it into functions.metadata.</summary>
internal sealed record FunctionBinding(string Name, string Type, string Direction, string? Route, string? Path, IReadOnlyList<string> Methods, string? AuthLevel);

/// <summary>One function of functions.metadata.</summary>
internal sealed record FunctionEntry(string Name, string EntryPoint, IReadOnlyList<FunctionBinding> Bindings)
{
    /// <summary>The trigger binding (each function has exactly one).</summary>
    public FunctionBinding Trigger => Bindings.Single(b => b.Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// The Function App's functions.metadata, the file the Functions host indexes the app from, as the SDK generated it in
/// this build (the test project references the Function App, so building the tests builds it).
/// </summary>
internal static class FunctionsMetadata
{
    public static string Path
    {
        get
        {
            var folder = typeof(FunctionsMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "FunctionAppOutput").Value!;
            return System.IO.Path.Combine(folder, "functions.metadata");
        }
    }

    public static IReadOnlyList<FunctionEntry> Read()
    {
        Assert.True(File.Exists(Path), $"the Function App's build wrote no {Path}");
        using var document = JsonDocument.Parse(File.ReadAllText(Path));
        return document.RootElement.EnumerateArray().Select(f => new FunctionEntry(
            f.GetProperty("name").GetString()!,
            f.GetProperty("entryPoint").GetString()!,
            f.GetProperty("bindings").EnumerateArray().Select(ReadBinding).ToList())).ToList();
    }

    private static FunctionBinding ReadBinding(JsonElement b) => new(
        b.GetProperty("name").GetString()!,
        b.GetProperty("type").GetString()!,
        b.GetProperty("direction").GetString()!,
        Text(b, "route"),
        Text(b, "path"),
        b.TryGetProperty("methods", out var methods) && methods.ValueKind == JsonValueKind.Array
            ? methods.EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).ToList()
            : [],
        Text(b, "authLevel"));

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
