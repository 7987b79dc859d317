using System.Text.Json;
using System.Text.Json.Serialization;

namespace RftFunctions.Graders.Evaluation;

/// <summary>Token counts of judge-model calls, OpenAI's usage shape.</summary>
public sealed record TokenUsage
{
    /// <summary>Prompt tokens.</summary>
    [JsonPropertyName("prompt_tokens")] public long PromptTokens { get; init; }

    /// <summary>Completion tokens.</summary>
    [JsonPropertyName("completion_tokens")] public long CompletionTokens { get; init; }

    /// <summary>Prompt plus completion.</summary>
    [JsonPropertyName("total_tokens")] public long TotalTokens { get; init; }

    /// <summary>Prompt tokens served from a cache.</summary>
    [JsonPropertyName("cached_tokens")] public long CachedTokens { get; init; }

    /// <summary>Sum of two usages.</summary>
    public static TokenUsage operator +(TokenUsage a, TokenUsage b) => new()
    {
        PromptTokens = a.PromptTokens + b.PromptTokens,
        CompletionTokens = a.CompletionTokens + b.CompletionTokens,
        TotalTokens = a.TotalTokens + b.TotalTokens,
        CachedTokens = a.CachedTokens + b.CachedTokens,
    };

    /// <summary>Named alternative to the + operator.</summary>
    public static TokenUsage Add(TokenUsage a, TokenUsage b) => a + b;
}

/// <summary>The <c>metadata</c> object of a grader result.</summary>
public sealed class GraderResultMetadata
{
    /// <summary>The grader's name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>The grader's type.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }

    /// <summary>Wall-clock seconds the grading took.</summary>
    [JsonPropertyName("execution_time")] public double ExecutionTime { get; set; }

    /// <summary>Scores by name: sub-grader scores of a multi, hit@k of ranked_list; empty otherwise.</summary>
    [JsonPropertyName("scores")] public Dictionary<string, double> Scores { get; init; } = [];

    /// <summary>Judge-model token usage of this grading (null when no model was called).</summary>
    [JsonPropertyName("token_usage")] public TokenUsage? TokenUsage { get; set; }

    /// <summary>The judge model that answered (null when no model was called).</summary>
    [JsonPropertyName("sampled_model_name")] public string? SampledModelName { get; set; }

    /// <summary>Every error flag.</summary>
    [JsonPropertyName("errors")] public GraderErrors Errors { get; init; } = new();

    /// <summary>Our addition: HTTP attempts an endpoint grader made (1 = no retry; absent for other graders).</summary>
    [JsonPropertyName("attempts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Attempts { get; set; }

    /// <summary>Our addition: whether the reward reached the grader's pass_threshold (absent without one).</summary>
    [JsonPropertyName("passed")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? Passed { get; set; }
}

/// <summary>
/// The result of grading one sample, exactly the shape of OpenAI's <c>/fine_tuning/alpha/graders/run</c> response:
/// <c>{reward, sub_rewards, model_grader_token_usage_per_model, metadata}</c>.
/// </summary>
public sealed class GraderResult
{
    /// <summary>The reward (0 whenever an error flag forced it).</summary>
    [JsonPropertyName("reward")] public double Reward { get; set; }

    /// <summary>Sub-rewards by sub-grader name (multi) or sub-score name (ranked_list).</summary>
    [JsonPropertyName("sub_rewards")] public Dictionary<string, double> SubRewards { get; init; } = [];

    /// <summary>Judge token usage per judge model.</summary>
    [JsonPropertyName("model_grader_token_usage_per_model")]
    public Dictionary<string, TokenUsage> ModelGraderTokenUsagePerModel { get; init; } = [];

    /// <summary>Name, type, timing, scores and error flags.</summary>
    [JsonPropertyName("metadata")] public required GraderResultMetadata Metadata { get; init; }

    /// <summary>Full results of a multi grader's sub-graders by name (not serialized; feeds per-grader statistics).</summary>
    [JsonIgnore] public Dictionary<string, GraderResult> SubResults { get; init; } = [];

    /// <summary>The errors object (shortcut for <c>Metadata.Errors</c>).</summary>
    [JsonIgnore] public GraderErrors Errors => Metadata.Errors;

    /// <summary>A zero-reward result for a grader.</summary>
    public static GraderResult Zero(string name, string type) => new() { Metadata = new() { Name = name, Type = type } };

    /// <summary>Serializes to OpenAI's JSON shape.</summary>
    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>Records judge-model usage under its model name.</summary>
    public void AddUsage(string model, TokenUsage usage)
    {
        ModelGraderTokenUsagePerModel[model] = ModelGraderTokenUsagePerModel.TryGetValue(model, out var existing) ? existing + usage : usage;
        Metadata.TokenUsage = Metadata.TokenUsage is null ? usage : Metadata.TokenUsage + usage;
    }
}
