using System.Text.Json;
using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Config;

/// <summary>One input message of a model grader; its content is a template (or content parts holding templates).</summary>
public sealed record GraderMessage
{
    /// <summary><c>user</c>, <c>assistant</c>, <c>system</c> or <c>developer</c>.</summary>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    /// <summary>A template string, or an array of content parts (<c>{"type":"input_text","text":...}</c>).</summary>
    [JsonPropertyName("content")]
    public required JsonElement Content { get; init; }

    /// <summary>Always <c>message</c> when present.</summary>
    [JsonPropertyName("type")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? MessageType { get; init; }

    /// <summary>The accepted roles.</summary>
    public static readonly IReadOnlyList<string> Roles = ["user", "assistant", "system", "developer"];
}

/// <summary>Sampling parameters for a judge model.</summary>
public sealed record GraderSamplingParams
{
    /// <summary>Sampling seed.</summary>
    [JsonPropertyName("seed")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Seed { get; init; }

    /// <summary>Sampling temperature.</summary>
    [JsonPropertyName("temperature")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling mass.</summary>
    [JsonPropertyName("top_p")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TopP { get; init; }

    /// <summary>Token budget of the judge's answer (OpenAI's spelling).</summary>
    [JsonPropertyName("max_completions_tokens")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxCompletionsTokens { get; init; }

    /// <summary><c>low</c>, <c>medium</c>, <c>high</c> (passed through to reasoning judges).</summary>
    [JsonPropertyName("reasoning_effort")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ReasoningEffort { get; init; }
}

/// <summary><c>score_model</c>: a judge model answers <c>{"result": number, "steps": [...]}</c>, clipped to the range.</summary>
public sealed record ScoreModelGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.ScoreModel;

    /// <summary>The judge model id.</summary>
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    /// <summary>The templated prompt.</summary>
    [JsonPropertyName("input")]
    public required IReadOnlyList<GraderMessage> Input { get; init; }

    /// <summary>[min, max] of the score; default [0, 1].</summary>
    [JsonPropertyName("range")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? Range { get; init; }

    /// <summary>Judge sampling parameters.</summary>
    [JsonPropertyName("sampling_params")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GraderSamplingParams? SamplingParams { get; init; }

    /// <summary>Score at or above which the sample passes (reported, does not change the reward).</summary>
    [JsonPropertyName("pass_threshold")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PassThreshold { get; init; }
}

/// <summary><c>label_model</c>: a judge model picks one of the labels; 1 when it is a passing label. Only inside multi.</summary>
public sealed record LabelModelGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.LabelModel;

    /// <summary>The judge model id.</summary>
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    /// <summary>The templated prompt.</summary>
    [JsonPropertyName("input")]
    public required IReadOnlyList<GraderMessage> Input { get; init; }

    /// <summary>Labels the judge may answer.</summary>
    [JsonPropertyName("labels")]
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>Labels that score 1.</summary>
    [JsonPropertyName("passing_labels")]
    public required IReadOnlyList<string> PassingLabels { get; init; }
}
