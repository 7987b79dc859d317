using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Config;

/// <summary>
/// One grader configuration exactly as OpenAI's fine-tuning API spells it: a JSON object whose <c>type</c> field picks
/// the grader. A config that works with OpenAI deserializes here unchanged; <c>ranked_list</c> is our extension.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(StringCheckGraderConfig), GraderTypes.StringCheck)]
[JsonDerivedType(typeof(TextSimilarityGraderConfig), GraderTypes.TextSimilarity)]
[JsonDerivedType(typeof(ScoreModelGraderConfig), GraderTypes.ScoreModel)]
[JsonDerivedType(typeof(LabelModelGraderConfig), GraderTypes.LabelModel)]
[JsonDerivedType(typeof(PythonGraderConfig), GraderTypes.Python)]
[JsonDerivedType(typeof(MultiGraderConfig), GraderTypes.Multi)]
[JsonDerivedType(typeof(EndpointGraderConfig), GraderTypes.Endpoint)]
[JsonDerivedType(typeof(RankedListGraderConfig), GraderTypes.RankedList)]
public abstract record GraderConfig
{
    /// <summary>The grader's name; shows up in metrics and results.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The <c>type</c> discriminator of this config.</summary>
    [JsonIgnore]
    public string Type => TypeName;

    /// <summary>The type name; protected so the serializer writes it only once, as the discriminator.</summary>
    protected abstract string TypeName { get; }
}

/// <summary>The grader type names accepted in the <c>type</c> field.</summary>
public static class GraderTypes
{
    /// <summary>Exact / contains comparison of two rendered templates.</summary>
    public const string StringCheck = "string_check";
    /// <summary>A text-similarity metric between two rendered templates.</summary>
    public const string TextSimilarity = "text_similarity";
    /// <summary>A judge model answers a numeric score.</summary>
    public const string ScoreModel = "score_model";
    /// <summary>A judge model answers a label (only inside multi).</summary>
    public const string LabelModel = "label_model";
    /// <summary>User python code <c>grade(sample, item)</c>.</summary>
    public const string Python = "python";
    /// <summary>Several named graders combined by a formula.</summary>
    public const string Multi = "multi";
    /// <summary>A remote HTTP endpoint answers <c>{"score": float}</c> (Azure OpenAI preview).</summary>
    public const string Endpoint = "endpoint";
    /// <summary>Our extension: rank of a reference answer in a ranked list the model produced.</summary>
    public const string RankedList = "ranked_list";

    /// <summary>Every known type name.</summary>
    public static readonly IReadOnlyList<string> All =
        [StringCheck, TextSimilarity, ScoreModel, LabelModel, Python, Multi, Endpoint, RankedList];
}
