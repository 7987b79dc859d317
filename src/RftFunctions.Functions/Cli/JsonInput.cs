using System.Text.Json;

namespace RftFunctions.Functions.Cli;

/// <summary>JSON the user hands the CLI (a grader file, a hyperparameters string), with errors naming where it is wrong.</summary>
public static class JsonInput
{
    /// <summary>Reads a JSON object from <paramref name="path"/>; a missing file or bad JSON names the file, line and column.</summary>
    public static JsonElement ObjectFromFile(string path, string option)
    {
        if (!File.Exists(path)) throw new CliFailureException($"--{option}: no such file: {path}");
        return Object(File.ReadAllText(path), $"--{option} {path}");
    }

    /// <summary>Parses a JSON object; <paramref name="source"/> says where it came from in the error.</summary>
    public static JsonElement Object(string text, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CliFailureException($"{source}: expected a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            // LineNumber and BytePositionInLine are 0-based.
            throw new CliFailureException($"{source}: invalid JSON at line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}");
        }
    }

    /// <summary>A grader file holds the grader itself, or <c>{"grader": {...}}</c> as the validate endpoint takes it.</summary>
    public static JsonElement Grader(string path)
    {
        var value = ObjectFromFile(path, "grader");
        return !value.TryGetProperty("type", out _) && value.TryGetProperty("grader", out var inner) && inner.ValueKind == JsonValueKind.Object ? inner : value;
    }
}
