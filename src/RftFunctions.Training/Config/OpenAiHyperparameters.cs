using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Training.Config;

/// <summary>
/// OpenAI's reinforcement hyperparameters exactly as a job request carries them (each "auto" or a value), and the
/// documented rules that turn them into an <see cref="RftTrainingConfig"/>:
/// <list type="bullet">
/// <item>n_epochs auto: enough passes to see about 256 prompts, clamp(ceil(256 / training examples), 1, 10).</item>
/// <item>batch_size auto: min(8, training examples) prompts per step.</item>
/// <item>learning_rate_multiplier auto: 1 (× the base rate: 1e-4 for LoRA, 1e-5 for full fine-tuning).</item>
/// <item>eval_interval auto: about ten validations per job, max(1, total steps / 10).</item>
/// <item>eval_samples auto: 1 sample per validation item.</item>
/// <item>compute_multiplier: scales samples per prompt, G = clamp(round(8 × m), 2, 64) (auto = 1 → 8).</item>
/// <item>reasoning_effort: completion budget, low 128, default/medium 256, high 512 tokens.</item>
/// </list>
/// </summary>
public sealed record OpenAiHyperparameters
{
    /// <summary>The largest learning_rate_multiplier (×100 of the base rate; OpenAI's own suggestions are 0.02-2).</summary>
    public const double MaxLearningRateMultiplier = 100;

    /// <summary>The largest eval_interval in steps.</summary>
    public const int MaxEvalInterval = 100_000;

    /// <summary>The largest eval_samples.</summary>
    public const int MaxEvalSamples = 64;

    /// <summary>"auto" or 1..50.</summary>
    public JsonNode? NEpochs { get; init; }

    /// <summary>"auto" or 1..256.</summary>
    public JsonNode? BatchSize { get; init; }

    /// <summary>"auto" or (0, <see cref="MaxLearningRateMultiplier"/>].</summary>
    public JsonNode? LearningRateMultiplier { get; init; }

    /// <summary>"auto" or 1..<see cref="MaxEvalInterval"/>.</summary>
    public JsonNode? EvalInterval { get; init; }

    /// <summary>"auto" or 1..<see cref="MaxEvalSamples"/>.</summary>
    public JsonNode? EvalSamples { get; init; }

    /// <summary>"auto" or (0.00001, 10].</summary>
    public JsonNode? ComputeMultiplier { get; init; }

    /// <summary>"default", "low", "medium" or "high".</summary>
    public string? ReasoningEffort { get; init; }

    /// <summary>Reads the <c>hyperparameters</c> object of a reinforcement method (snake_case, as OpenAI sends it).</summary>
    public static OpenAiHyperparameters FromJson(JsonObject? json) => json is null ? new() : new()
    {
        NEpochs = json["n_epochs"]?.DeepClone(),
        BatchSize = json["batch_size"]?.DeepClone(),
        LearningRateMultiplier = json["learning_rate_multiplier"]?.DeepClone(),
        EvalInterval = json["eval_interval"]?.DeepClone(),
        EvalSamples = json["eval_samples"]?.DeepClone(),
        ComputeMultiplier = json["compute_multiplier"]?.DeepClone(),
        ReasoningEffort = json["reasoning_effort"]?.GetValue<string>(),
    };

    /// <summary>
    /// Applies the hyperparameters to <paramref name="baseline"/>; throws <see cref="ArgumentException"/> naming the
    /// field (as <c>hyperparameters.x</c>) when a value is out of range.
    /// </summary>
    public RftTrainingConfig Resolve(RftTrainingConfig baseline, int trainingExamples, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainingExamples);
        int epochs = Integer(NEpochs, "n_epochs", 1, 50) ?? Math.Clamp((256 + trainingExamples - 1) / trainingExamples, 1, 10);
        int batch = Integer(BatchSize, "batch_size", 1, 256) ?? Math.Min(8, trainingExamples);
        double multiplier = Number(LearningRateMultiplier, "learning_rate_multiplier", 0, MaxLearningRateMultiplier, exclusiveMin: true) ?? 1.0;
        double compute = Number(ComputeMultiplier, "compute_multiplier", 0.00001, 10, exclusiveMin: true) ?? 1.0;
        int totalSteps = (int)(((long)trainingExamples * epochs + batch - 1) / batch);
        int evalInterval = Integer(EvalInterval, "eval_interval", 1, MaxEvalInterval) ?? Math.Max(1, totalSteps / 10);
        int evalSamples = Integer(EvalSamples, "eval_samples", 1, MaxEvalSamples) ?? 1;
        int completionTokens = ReasoningEffort switch
        {
            null or "default" or "medium" => 256,
            "low" => 128,
            "high" => 512,
            _ => throw new ArgumentException($"hyperparameters.reasoning_effort must be default, low, medium or high, not '{ReasoningEffort}'"),
        };
        double baseRate = baseline.Mode == FineTuningMode.Lora ? 1e-4 : 1e-5;
        return baseline with
        {
            Seed = seed,
            Epochs = epochs,
            PromptsPerStep = batch,
            LearningRate = baseRate * multiplier,
            SamplesPerPrompt = Math.Clamp((int)Math.Round(8 * compute), 2, 64),
            EvalInterval = evalInterval,
            EvalSamples = evalSamples,
            MaxCompletionTokens = completionTokens,
        };
    }

    private static bool IsAuto(JsonNode? node) =>
        node is null || (node is JsonValue v && v.TryGetValue<string>(out var s) && s == "auto");

    private static int? Integer(JsonNode? node, string field, int min, int max)
    {
        if (IsAuto(node)) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d >= min && d <= max)
            return (int)d;
        throw new ArgumentException($"hyperparameters.{field} must be \"auto\" or an integer in [{min}, {max}], not {node!.ToJsonString()}");
    }

    private static double? Number(JsonNode? node, string field, double min, double max, bool exclusiveMin)
    {
        if (IsAuto(node)) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d)
            && (exclusiveMin ? d > min : d >= min) && d <= max)
            return d;
        var range = (exclusiveMin ? "(" : "[") + min.ToString(CultureInfo.InvariantCulture) + ", " + (max == double.MaxValue ? "inf)" : max.ToString(CultureInfo.InvariantCulture) + "]");
        throw new ArgumentException($"hyperparameters.{field} must be \"auto\" or a number in {range}, not {node!.ToJsonString()}");
    }
}
