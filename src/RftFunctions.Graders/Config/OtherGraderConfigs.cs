using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Config;

/// <summary><c>python</c>: user source defining <c>grade(sample, item) -&gt; float</c>, run in a sandboxed worker pool.</summary>
public sealed record PythonGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.Python;

    /// <summary>Python source; at most <see cref="MaxSourceBytes"/> bytes of UTF-8.</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    /// <summary>OpenAI's image tag; accepted and ignored (there is one local python3).</summary>
    [JsonPropertyName("image_tag")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ImageTag { get; init; }

    /// <summary>OpenAI's limit on the source size.</summary>
    public const int MaxSourceBytes = 256 * 1024;
}

/// <summary><c>multi</c>: named sub-graders (a dict) combined by the <c>calculate_output</c> formula.</summary>
public sealed record MultiGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.Multi;

    /// <summary>
    /// Sub-graders by name; the names are the formula's variables. Also read from a list of graders or a single grader
    /// (keyed by their <c>name</c>); always written as the dict.
    /// </summary>
    [JsonPropertyName("graders")]
    [JsonConverter(typeof(SubGradersConverter))]
    public required IReadOnlyDictionary<string, GraderConfig> Graders { get; init; }

    /// <summary>Formula over sub-grader names, e.g. <c>0.7 * accuracy + 0.3 * style</c>.</summary>
    [JsonPropertyName("calculate_output")]
    public required string CalculateOutput { get; init; }
}

/// <summary><c>endpoint</c>: POST <c>{sample, item, trace_id}</c> to a URL that answers <c>{"score": float}</c>.</summary>
public sealed record EndpointGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.Endpoint;

    /// <summary>Absolute http(s) URL.</summary>
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    /// <summary>Extra request headers (e.g. Authorization).</summary>
    [JsonPropertyName("headers")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Maximum requests per second sent to this URL by this process.</summary>
    [JsonPropertyName("rate_limit")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RateLimit { get; init; }

    /// <summary>Score at or above which the sample passes (reported, does not change the reward).</summary>
    [JsonPropertyName("pass_threshold")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PassThreshold { get; init; }

    /// <summary>Per-attempt timeout in seconds (our addition; default 30).</summary>
    [JsonPropertyName("timeout")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Timeout { get; init; }
}

/// <summary>
/// Our extension <c>ranked_list</c>: finds the reference in a ranked list extracted from the output and scores its rank
/// (1 at rank 1, decaying below, 0 when absent). Reports hit@1, hit@5 and hit@any as sub-scores.
/// </summary>
public sealed record RankedListGraderConfig : GraderConfig
{
    /// <inheritdoc />
    protected override string TypeName => GraderTypes.RankedList;

    /// <summary>Template holding the list; default <c>{{ sample.output_text }}</c>.</summary>
    [JsonPropertyName("input")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Input { get; init; }

    /// <summary>Template of the correct answer (a string, or a JSON array of accepted answers).</summary>
    [JsonPropertyName("reference")]
    public required string Reference { get; init; }

    /// <summary><c>auto</c> (default), <c>json_array</c>, <c>json_field</c> or <c>numbered_lines</c>.</summary>
    [JsonPropertyName("extract")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Extract { get; init; }

    /// <summary>Dot path of the array inside a JSON object (for <c>json_field</c>, optional for <c>auto</c>).</summary>
    [JsonPropertyName("field")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Field { get; init; }

    /// <summary>Field naming an entry when list entries are objects (default: their first string value).</summary>
    [JsonPropertyName("item_field")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ItemField { get; init; }

    /// <summary><c>reciprocal</c> (default, 1/r), <c>exponential</c> (rate^(r-1)) or <c>linear</c>.</summary>
    [JsonPropertyName("decay")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Decay { get; init; }

    /// <summary>Base of the exponential decay, in (0, 1); default 0.5.</summary>
    [JsonPropertyName("decay_rate")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DecayRate { get; init; }

    /// <summary>Ranks beyond this score 0 (and only this many entries are read); default 100.</summary>
    [JsonPropertyName("max_rank")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxRank { get; init; }

    /// <summary>Compare case-sensitively; default false.</summary>
    [JsonPropertyName("case_sensitive")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? CaseSensitive { get; init; }

    /// <summary>Accepted extraction modes.</summary>
    public static readonly IReadOnlyList<string> ExtractModes = ["auto", "json_array", "json_field", "numbered_lines"];

    /// <summary>Accepted decay names.</summary>
    public static readonly IReadOnlyList<string> DecayModes = ["reciprocal", "exponential", "linear"];
}
