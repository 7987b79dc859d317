using System.Text.Json;
using System.Text.Json.Serialization;

namespace RftFunctions.Functions.Jobs;

/// <summary>OpenAI's fine-tuning job statuses (plus paused).</summary>
public static class JobStatus
{
    /// <summary>Files, grader and model are being checked.</summary>
    public const string ValidatingFiles = "validating_files";

    /// <summary>Accepted, waiting for a worker (also what resume returns).</summary>
    public const string Queued = "queued";

    /// <summary>Steps are running.</summary>
    public const string Running = "running";

    /// <summary>Paused between steps; resume continues.</summary>
    public const string Paused = "paused";

    /// <summary>Finished; the fine-tuned model is registered.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Stopped by an error (see the job's error).</summary>
    public const string Failed = "failed";

    /// <summary>Cancelled by the user.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Whether no further change can happen.</summary>
    public static bool IsTerminal(string status) => status is Succeeded or Failed or Cancelled;
}

/// <summary>OpenAI's job error object.</summary>
public sealed record JobError(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("param")] string? Param);

/// <summary>The <c>fine_tuning.job</c> object (OpenAI shape).</summary>
public sealed record FineTuningJobObject
{
    /// <summary>Job id (<c>ftjob-...</c>).</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>Always <c>fine_tuning.job</c>.</summary>
    [JsonPropertyName("object")] public string Object => "fine_tuning.job";

    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("created_at")] public long CreatedAt { get; init; }

    /// <summary>Unix seconds, when terminal.</summary>
    [JsonPropertyName("finished_at")] public long? FinishedAt { get; init; }

    /// <summary>Base model id.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }

    /// <summary><c>ft:&lt;base&gt;:&lt;suffix&gt;:&lt;job-id&gt;</c> once succeeded.</summary>
    [JsonPropertyName("fine_tuned_model")] public string? FineTunedModel { get; init; }

    /// <summary>One of <see cref="JobStatus"/>.</summary>
    [JsonPropertyName("status")] public required string Status { get; init; }

    /// <summary>Training file id.</summary>
    [JsonPropertyName("training_file")] public string? TrainingFile { get; init; }

    /// <summary>Validation file id.</summary>
    [JsonPropertyName("validation_file")] public string? ValidationFile { get; init; }

    /// <summary>Result file ids (none yet).</summary>
    [JsonPropertyName("result_files")] public IReadOnlyList<string> ResultFiles { get; init; } = [];

    /// <summary>Completion tokens trained on.</summary>
    [JsonPropertyName("trained_tokens")] public long? TrainedTokens { get; init; }

    /// <summary>Error when failed.</summary>
    [JsonPropertyName("error")] public JobError? Error { get; init; }

    /// <summary>The job seed.</summary>
    [JsonPropertyName("seed")] public long Seed { get; init; }

    /// <summary>User suffix of the fine-tuned model name.</summary>
    [JsonPropertyName("user_provided_suffix")] public string? Suffix { get; init; }

    /// <summary>The method object as submitted.</summary>
    [JsonPropertyName("method")] public JsonElement? Method { get; init; }

    /// <summary>User metadata.</summary>
    [JsonPropertyName("metadata")] public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>OpenAI's estimate of the finish time; not estimated here (always null).</summary>
    [JsonPropertyName("estimated_finish")] public long? EstimatedFinish { get; init; }

    /// <summary>Steps completed (our addition).</summary>
    [JsonPropertyName("trained_steps")] public int TrainedSteps { get; init; }

    /// <summary>Total steps planned (our addition).</summary>
    [JsonPropertyName("total_steps")] public int TotalSteps { get; init; }
}

/// <summary>The <c>fine_tuning.job.event</c> object.</summary>
public sealed record JobEventObject
{
    /// <summary>Event id (sortable: newest first).</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>Always <c>fine_tuning.job.event</c>.</summary>
    [JsonPropertyName("object")] public string Object => "fine_tuning.job.event";

    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("created_at")] public long CreatedAt { get; init; }

    /// <summary>info, warn or error.</summary>
    [JsonPropertyName("level")] public required string Level { get; init; }

    /// <summary>Human-readable message.</summary>
    [JsonPropertyName("message")] public required string Message { get; init; }

    /// <summary><c>message</c> or <c>metrics</c>.</summary>
    [JsonPropertyName("type")] public required string Type { get; init; }

    /// <summary>Structured data (the metrics of a metrics event).</summary>
    [JsonPropertyName("data")] public JsonElement? Data { get; init; }
}

/// <summary>The <c>fine_tuning.job.checkpoint</c> object.</summary>
public sealed record CheckpointObject
{
    /// <summary>Checkpoint id (<c>ftckpt-...</c>).</summary>
    [JsonPropertyName("id")] public required string Id { get; init; }

    /// <summary>Always <c>fine_tuning.job.checkpoint</c>.</summary>
    [JsonPropertyName("object")] public string Object => "fine_tuning.job.checkpoint";

    /// <summary>Unix seconds.</summary>
    [JsonPropertyName("created_at")] public long CreatedAt { get; init; }

    /// <summary>The checkpoint's model name (<c>ft:...:ckpt-step-N</c>).</summary>
    [JsonPropertyName("fine_tuned_model_checkpoint")] public required string FineTunedModelCheckpoint { get; init; }

    /// <summary>1-based step.</summary>
    [JsonPropertyName("step_number")] public int StepNumber { get; init; }

    /// <summary>Metrics at that step (valid_reward_mean and friends).</summary>
    [JsonPropertyName("metrics")] public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The job.</summary>
    [JsonPropertyName("fine_tuning_job_id")] public required string FineTuningJobId { get; init; }

    /// <summary>Where the checkpoint's files lie in the <c>jobs</c> container (our addition).</summary>
    [JsonPropertyName("blob_prefix")] public string? BlobPrefix { get; init; }
}
