using System.Text.Json;

namespace RftFunctions.Functions.Api.Chat;

/// <summary>
/// How <c>response_format</c> is honoured: the output must parse as JSON and, with a json_schema, satisfy the schema's
/// core keywords (type, properties, required, additionalProperties: false, items, enum). Other keywords are not checked.
/// </summary>
public static class JsonOutputCheck
{
    /// <summary>Null when <paramref name="text"/> satisfies the requirement, otherwise what is wrong.</summary>
    public static string? Check(string text, JsonElement? schema)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return $"not valid JSON: {e.Message.Split(" Path:")[0]}";
        }
        using (document)
            return schema is null ? null : Validate(document.RootElement, schema.Value, "$");
    }

    private static string? Validate(JsonElement value, JsonElement schema, string path)
    {
        if (schema.ValueKind != JsonValueKind.Object) return null;
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()];
            if (!types.Any(t => Is(value, t))) return $"{path}: expected {string.Join(" or ", types)}, got {value.ValueKind.ToString().ToLowerInvariant()}";
        }
        if (schema.TryGetProperty("enum", out var options) && options.ValueKind == JsonValueKind.Array &&
            !options.EnumerateArray().Any(o => JsonElement.DeepEquals(o, value)))
            return $"{path}: not one of the enum values";
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                    if (!value.TryGetProperty(name, out _)) return $"{path}: missing required property '{name}'";
            var hasProperties = schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object;
            bool closed = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
            foreach (var property in value.EnumerateObject())
            {
                if (hasProperties && properties.TryGetProperty(property.Name, out var sub))
                {
                    if (Validate(property.Value, sub, $"{path}.{property.Name}") is { } error) return error;
                }
                else if (closed)
                {
                    return $"{path}: property '{property.Name}' is not allowed";
                }
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var element in value.EnumerateArray())
                if (Validate(element, items, $"{path}[{i++}]") is { } error) return error;
        }
        return null;
    }

    private static bool Is(JsonElement value, string? type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => true,
    };
}
