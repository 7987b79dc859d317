using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// How inputs, outputs and event payloads are written into the task hub: JSON with web defaults (camelCase names,
/// case-insensitive reads), the shape the Functions worker's serializer also reads, so either host can pick up an
/// instance the other started.
/// </summary>
public static class TaskHubJson
{
    /// <summary>The serializer options behind <see cref="Converter"/>.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        MaxDepth = 64,
    };

    /// <summary>The converter the worker's shims and the client share.</summary>
    public static DataConverter Converter { get; } = new JsonDataConverter(Options);
}
