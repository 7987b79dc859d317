using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Config;

/// <summary><c>string_check</c>: 1 when the operation holds between the rendered input and reference, else 0.</summary>
public sealed record StringCheckGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.StringCheck;

    /// <summary>Template for the text under test, usually <c>{{ sample.output_text }}</c>.</summary>
    [JsonPropertyName("input")]
    public required string Input { get; init; }

    /// <summary>Template for the reference, usually <c>{{ item.answer }}</c>.</summary>
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    /// <summary><c>eq</c>, <c>ne</c>, <c>like</c> (contains) or <c>ilike</c> (case-insensitive contains).</summary>
    [JsonPropertyName("operation")]
    public required string Operation { get; init; }

    /// <summary>The accepted operation names.</summary>
    public static readonly IReadOnlyList<string> Operations = ["eq", "ne", "like", "ilike"];
}
