using System.Text.Json.Serialization;

namespace RftFunctions.Training.Checkpoints;

/// <summary>
/// What a trainer-state folder holds. It is written LAST: a folder without it is incomplete (a crash mid-write) and is
/// never read, so nothing half-written counts as a step or a checkpoint.
/// </summary>
public sealed record TrainerStateManifest
{
    /// <summary>The manifest's blob name inside a state folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The optimiser state's blob name inside a state folder.</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The job the state belongs to.</summary>
    [JsonPropertyName("job_id")] public required string JobId { get; init; }

    /// <summary>Policy updates applied (the next step to run is this number, 0-based).</summary>
    [JsonPropertyName("completed_steps")] public required int CompletedSteps { get; init; }

    /// <summary>The job seed; every later random choice is f(seed, step, ...), so seed + step is the whole RNG state.</summary>
    [JsonPropertyName("seed")] public required long Seed { get; init; }

    /// <summary>The data position: the next step's prompts are PromptSchedule(seed).ForStep(this).</summary>
    [JsonPropertyName("data_position")] public required int DataPosition { get; init; }

    /// <summary><c>peft_lora</c> (adapter_model.safetensors + adapter_config.json) or <c>hf_folder</c> (full weights).</summary>
    [JsonPropertyName("policy_format")] public required string PolicyFormat { get; init; }

    /// <summary>Blob names (relative to the folder) of the policy files.</summary>
    [JsonPropertyName("policy_files")] public IReadOnlyList<string> PolicyFiles { get; init; } = [];

    /// <summary>SHA-256 of the input that produced this state; a re-run with the same input reuses it.</summary>
    [JsonPropertyName("input_hash")] public string InputHash { get; init; } = "";

    /// <summary>Metrics of the update that produced this state (JSON object text), for idempotent replays.</summary>
    [JsonPropertyName("metrics")] public string? Metrics { get; init; }

    /// <summary>Unix seconds when written.</summary>
    [JsonPropertyName("created_at")] public long CreatedAt { get; init; }

    /// <summary>The PEFT LoRA format name.</summary>
    public const string LoraFormat = "peft_lora";

    /// <summary>The full Hugging Face folder format name.</summary>
    public const string FullFormat = "hf_folder";
}
