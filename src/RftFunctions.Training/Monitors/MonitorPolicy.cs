using System.Text.Json;
using System.Text.Json.Serialization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// Per job, what each detector does when it fires (<c>method.reinforcement.trainer.monitors</c>): an object of detector
/// name to <c>"off"</c> | <c>"warn"</c> | <c>"pause"</c>. A detector the object does not name warns
/// (<see cref="Default"/>): a warning costs nothing, while pausing on a heuristic is the user's choice.
/// </summary>
[JsonConverter(typeof(MonitorPolicyJsonConverter))]
public sealed record MonitorPolicy
{
    /// <summary>The action of a detector the policy does not name.</summary>
    public const MonitorAction Default = MonitorAction.Warn;

    /// <summary>The actions the policy sets, by detector name.</summary>
    public IReadOnlyDictionary<string, MonitorAction> Actions { get; init; } = new SortedDictionary<string, MonitorAction>(StringComparer.Ordinal);

    /// <summary>What <paramref name="detector"/> does.</summary>
    public MonitorAction ActionOf(string detector) => Actions.TryGetValue(detector, out var action) ? action : Default;

    /// <summary>The request spelling of an action.</summary>
    public static string NameOf(MonitorAction action) => action.ToString().ToLowerInvariant();

    /// <summary>Reads a policy object; a problem throws <see cref="ArgumentException"/> whose <c>ParamName</c> is the field
    /// under <paramref name="param"/> it is about.</summary>
    public static MonitorPolicy Parse(JsonElement json, string param)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"{param} must be an object of detector name to \"off\", \"warn\" or \"pause\" (detectors: {string.Join(", ", HealthMonitors.Names)}).", param);
        var actions = new SortedDictionary<string, MonitorAction>(StringComparer.Ordinal);
        foreach (var property in json.EnumerateObject())
        {
            var field = $"{param}.{property.Name}";
            if (!HealthMonitors.Names.Contains(property.Name))
                throw new ArgumentException($"Unknown monitor '{property.Name}' (known: {string.Join(", ", HealthMonitors.Names)}).", field);
            var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
            actions[property.Name] = value switch
            {
                "off" => MonitorAction.Off,
                "warn" => MonitorAction.Warn,
                "pause" => MonitorAction.Pause,
                _ => throw new ArgumentException($"{field} must be \"off\", \"warn\" or \"pause\", not {Shown(property.Value)}.", field),
            };
        }
        return new MonitorPolicy { Actions = actions };
    }

    // A user's value echoed in an error, bounded.
    private static string Shown(JsonElement value) => value.GetRawText() is var raw && raw.Length > 40 ? raw[..40] + "…" : raw;

    /// <inheritdoc />
    public bool Equals(MonitorPolicy? other) =>
        other is not null && Actions.Count == other.Actions.Count && Actions.All(p => other.Actions.TryGetValue(p.Key, out var a) && a == p.Value);

    /// <inheritdoc />
    public override int GetHashCode() => Actions.Count;
}

/// <summary>Writes a <see cref="MonitorPolicy"/> as its request object and reads it back (unknown names or values fail).</summary>
public sealed class MonitorPolicyJsonConverter : JsonConverter<MonitorPolicy>
{
    /// <inheritdoc />
    public override MonitorPolicy Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        try
        {
            return MonitorPolicy.Parse(document.RootElement, "monitors");
        }
        catch (ArgumentException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, MonitorPolicy value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, action) in value.Actions.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(name, MonitorPolicy.NameOf(action));
        writer.WriteEndObject();
    }
}
