using System.Text.Json;
using System.Text.Json.Serialization;

namespace RftFunctions.Durable;

/// <summary>
/// Turns inputs, outputs, event payloads and custom status into strings and back. JSON with web defaults
/// (camelCase, case-insensitive reads), as durabletask-dotnet's default converter does.
/// </summary>
public static class DataConverter
{
    /// <summary>The serializer options used for every payload.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Serializes a value; null stays null.</summary>
    public static string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Options);

    /// <summary>Deserializes a value; null or empty gives default.</summary>
    public static T? Deserialize<T>(string? data) => string.IsNullOrEmpty(data) ? default : JsonSerializer.Deserialize<T>(data, Options);

    /// <summary>Deserializes to a runtime type; null or empty gives null.</summary>
    public static object? Deserialize(string? data, Type type) => string.IsNullOrEmpty(data) ? null : JsonSerializer.Deserialize(data, type, Options);
}
