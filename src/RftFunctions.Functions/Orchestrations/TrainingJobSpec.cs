using System.Text.Json;
using System.Text.Json.Serialization;
using RftFunctions.Training.Config;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Everything a job needs, stored once as <c>jobs/{jobId}/spec.json</c> (never in orchestration history): activities
/// read it by job id and cache it per worker process.
/// </summary>
public sealed record TrainingJobSpec
{
    /// <summary>The spec's blob name for a job.</summary>
    public static string BlobName(string jobId) => $"{jobId}/spec.json";

    /// <summary>The job id (<c>ftjob-...</c>); also the orchestration instance id.</summary>
    [JsonPropertyName("job_id")] public required string JobId { get; init; }

    /// <summary>The base model's id, as the fine-tuned model name uses it.</summary>
    [JsonPropertyName("base_model")] public required string BaseModel { get; init; }

    /// <summary>The project that owns the job (and gets its <c>ft:</c> models); null for jobs started without the API.</summary>
    [JsonPropertyName("project")] public string? Project { get; init; }

    /// <summary>
    /// Where the base model's Hugging Face folder lies in Blob Storage. Workers in Azure are other machines than the API,
    /// so this (not a path) is what a job normally carries; <see cref="JobWorkspace"/> downloads it once per worker
    /// process into a content-keyed cache folder and sets <see cref="BaseModelDirectory"/> to it.
    /// </summary>
    [JsonPropertyName("base_model_blob")] public BlobFolder? BaseModelBlob { get; init; }

    /// <summary>A local Hugging Face folder with the base model; empty when <see cref="BaseModelBlob"/> names it (tests
    /// and single-machine setups may give a folder directly).</summary>
    [JsonPropertyName("base_model_directory")] public string BaseModelDirectory { get; init; } = "";

    /// <summary>Blob name (in the jobs container) of the training JSONL.</summary>
    [JsonPropertyName("training_blob")] public required string TrainingBlob { get; init; }

    /// <summary>Blob name of the validation JSONL, or null to validate on the training file's first items.</summary>
    [JsonPropertyName("validation_blob")] public string? ValidationBlob { get; init; }

    /// <summary>The grader config (OpenAI JSON).</summary>
    [JsonPropertyName("grader")] public required JsonElement Grader { get; init; }

    /// <summary>True when the job has a json_schema response_format (graders then see <c>sample.output_json</c> and
    /// flag non-JSON output as a parse error).</summary>
    [JsonPropertyName("output_json_required")] public bool OutputJsonRequired { get; init; }

    /// <summary>The resolved training knobs.</summary>
    [JsonPropertyName("config")] public required RftTrainingConfig Config { get; init; }

    /// <summary>User suffix for the fine-tuned model name.</summary>
    [JsonPropertyName("suffix")] public string? Suffix { get; init; }

    /// <summary>Stop strings for rollouts (our extension; a sample ends before the first one, as in the chat API).</summary>
    [JsonPropertyName("stop")] public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Prompts per Rollout activity (the unit of fan-out).</summary>
    [JsonPropertyName("rollout_shard_prompts")] public int RolloutShardPrompts { get; init; } = 4;

    /// <summary>Validation items used per validation run (0 = all).</summary>
    [JsonPropertyName("max_validation_items")] public int MaxValidationItems { get; init; }
}

/// <summary>A folder in Blob Storage.</summary>
/// <param name="Container">The container.</param>
/// <param name="Prefix">The blob name prefix, ending with '/'.</param>
public sealed record BlobFolder(
    [property: JsonPropertyName("container")] string Container,
    [property: JsonPropertyName("prefix")] string Prefix);
