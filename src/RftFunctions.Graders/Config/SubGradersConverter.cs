using System.Text.Json;
using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Config;

/// <summary>
/// Reads a multi grader's <c>graders</c> in every shape users send: the documented dict keyed by name, a list of graders,
/// or a single grader object (how one SDK types the field); the last two are keyed by each grader's <c>name</c>.
/// Always writes the dict.
/// </summary>
internal sealed class SubGradersConverter : JsonConverter<IReadOnlyDictionary<string, GraderConfig>>
{
    /// <summary>The shape a <c>graders</c> value has.</summary>
    internal enum Shape { Dict, List, Single, Invalid }

    /// <summary>Classifies a <c>graders</c> value; a JSON object with a string <c>type</c> is one grader, not a dict.</summary>
    internal static Shape Classify(JsonElement graders) => graders.ValueKind switch
    {
        JsonValueKind.Array => Shape.List,
        JsonValueKind.Object when graders.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String => Shape.Single,
        JsonValueKind.Object => Shape.Dict,
        _ => Shape.Invalid,
    };

    public override IReadOnlyDictionary<string, GraderConfig> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        var result = new Dictionary<string, GraderConfig>(StringComparer.Ordinal);
        switch (Classify(element))
        {
            case Shape.Dict:
                foreach (var p in element.EnumerateObject()) result[p.Name] = Deserialize(p.Value, options);
                break;
            case Shape.List:
                foreach (var e in element.EnumerateArray())
                {
                    var g = Deserialize(e, options);
                    result[g.Name] = g;
                }
                break;
            case Shape.Single:
                var single = Deserialize(element, options);
                result[single.Name] = single;
                break;
            default:
                throw new JsonException("graders must be an object mapping names to graders");
        }
        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, GraderConfig> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, grader) in value)
        {
            writer.WritePropertyName(name);
            JsonSerializer.Serialize(writer, grader, options);
        }
        writer.WriteEndObject();
    }

    private static GraderConfig Deserialize(JsonElement e, JsonSerializerOptions options) =>
        e.Deserialize<GraderConfig>(options) ?? throw new JsonException("a sub-grader is null");
}
