using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Config;

/// <summary><c>text_similarity</c>: a similarity metric in [0, 1] between the rendered input and reference.</summary>
public sealed record TextSimilarityGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.TextSimilarity;

    /// <summary>Template for the text under test.</summary>
    [JsonPropertyName("input")]
    public required string Input { get; init; }

    /// <summary>Template for the reference text.</summary>
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    /// <summary>One of <see cref="Metrics"/>.</summary>
    [JsonPropertyName("evaluation_metric")]
    public required string EvaluationMetric { get; init; }

    /// <summary>Score at or above which the sample passes (reported, does not change the reward).</summary>
    [JsonPropertyName("pass_threshold")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PassThreshold { get; init; }

    /// <summary>The accepted metric names.</summary>
    public static readonly IReadOnlyList<string> Metrics =
        ["fuzzy_match", "bleu", "gleu", "meteor", "cosine", "rouge_1", "rouge_2", "rouge_3", "rouge_4", "rouge_5", "rouge_l"];
}
