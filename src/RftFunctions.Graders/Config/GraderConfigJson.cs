using System.Text.Json;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Graders.Config;

/// <summary>Reads and writes grader configs in OpenAI's JSON shape.</summary>
public static class GraderConfigJson
{
    /// <summary>Serializer options for grader configs (snake_case names come from attributes; type may come anywhere).</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        AllowOutOfOrderMetadataProperties = true,
    };

    /// <summary>Validates and deserializes; throws <see cref="GraderValidationException"/> listing every problem.</summary>
    public static GraderConfig Parse(JsonElement json)
    {
        var errors = GraderValidator.Validate(json);
        if (errors.Count > 0) throw new GraderValidationException(errors);
        return json.Deserialize<GraderConfig>(Options)
               ?? throw new GraderValidationException([new GraderValidationError("$", "grader is null")]);
    }

    /// <summary>Validates and deserializes JSON text.</summary>
    public static GraderConfig Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new GraderValidationException([new GraderValidationError("$", $"not valid JSON: {e.Message}")]);
        }
        using (doc) return Parse(doc.RootElement);
    }

    /// <summary>Serializes a config back to OpenAI's shape.</summary>
    public static string Serialize(GraderConfig config) => JsonSerializer.Serialize(config, Options);

    /// <summary>Serializes a config to a JSON element.</summary>
    public static JsonElement ToElement(GraderConfig config) => JsonSerializer.SerializeToElement(config, Options);
}
