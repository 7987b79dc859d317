using System.Globalization;

namespace RftFunctions.Training.Config;

/// <summary>
/// The upper bounds a deployment puts on every user-settable knob of <see cref="RftTrainingConfig"/>, and the per-job
/// cost ceiling, checked when a job is created. A user's settings are untrusted: without these one job could ask for a
/// billion prompts per step or a 1e308 learning rate and exhaust the worker it lands on. The defaults are generous for
/// the models this service trains and safe for a shared host; an operator tightens or widens them under
/// <c>Rft:TrainingLimits:*</c> (environment <c>Rft__TrainingLimits__*</c>).
/// <para>
/// Each problem from <see cref="Validate"/> starts with the <see cref="RftTrainingConfig"/> property it is about (as
/// <see cref="RftTrainingConfig.Validate"/> does), so the API can name the request field. A new knob gets its bound
/// here: one property with its default, and one line in <see cref="Validate"/>.
/// </para>
/// </summary>
public sealed record TrainingLimits
{
    // ---- Data and schedule --------------------------------------------------------------------------------------
    /// <summary>Most passes over the training set (OpenAI's n_epochs allows 50).</summary>
    public int MaxEpochs { get; init; } = 50;

    /// <summary>Most prompts per step (OpenAI's batch_size allows 256).</summary>
    public int MaxPromptsPerStep { get; init; } = 256;

    // ---- Rollouts -----------------------------------------------------------------------------------------------
    /// <summary>Most samples per prompt (what compute_multiplier 10 gives, 64).</summary>
    public int MaxSamplesPerPrompt { get; init; } = 64;

    /// <summary>Longest completion in tokens (reasoning_effort high asks for 512).</summary>
    public int MaxCompletionTokens { get; init; } = 4096;

    /// <summary>Highest sampling temperature.</summary>
    public double MaxTemperature { get; init; } = 10;

    // ---- Objective and optimiser ------------------------------------------------------------------------------
    /// <summary>Largest upper clip epsilon.</summary>
    public double MaxClipEpsilonHigh { get; init; } = 10;

    /// <summary>Largest KL weight.</summary>
    public double MaxBeta { get; init; } = 100;

    /// <summary>Most optimiser passes over one batch of rollouts.</summary>
    public int MaxIterationsPerBatch { get; init; } = 16;

    /// <summary>Most micro-batches per optimiser step.</summary>
    public int MaxGradientAccumulationSteps { get; init; } = 1024;

    /// <summary>Largest learning rate (learning_rate_multiplier is bounded so that it cannot exceed this either).</summary>
    public double MaxLearningRate { get; init; } = 1.0;

    /// <summary>Largest AdamW weight decay.</summary>
    public double MaxWeightDecay { get; init; } = 1.0;

    /// <summary>Largest gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1e6;

    /// <summary>Most warm-up steps.</summary>
    public int MaxWarmupSteps { get; init; } = 100_000;

    // ---- Policy parameterisation --------------------------------------------------------------------------------
    /// <summary>Largest LoRA rank.</summary>
    public int MaxLoraRank { get; init; } = 256;

    /// <summary>Largest LoRA alpha.</summary>
    public double MaxLoraAlpha { get; init; } = 4096;

    /// <summary>Most LoRA target projections, and the longest name of one.</summary>
    public int MaxLoraTargets { get; init; } = 64;

    // ---- Validation and checkpoints -----------------------------------------------------------------------------
    /// <summary>Largest validation interval in steps.</summary>
    public int MaxEvalInterval { get; init; } = 100_000;

    /// <summary>Most samples per validation item.</summary>
    public int MaxEvalSamples { get; init; } = 64;

    /// <summary>Most checkpoints kept.</summary>
    public int MaxCheckpointsKept { get; init; } = 20;

    /// <summary>Most steps per orchestration generation (bounds its history).</summary>
    public int MaxStepsPerGeneration { get; init; } = 1000;

    // ---- Cost ceiling -------------------------------------------------------------------------------------------
    /// <summary>
    /// Most completion tokens one step may generate: prompts per step × samples per prompt × max completion tokens.
    /// The default (1,048,576) allows 256 prompts × 16 samples × 256 tokens, or 8 × 8 × 4096.
    /// </summary>
    public long MaxTokensPerStep { get; init; } = 1L << 20;

    /// <summary>
    /// Most completion tokens a whole job may generate for training: total steps × tokens per step (2^30, about a
    /// billion; a few thousand default-sized steps).
    /// </summary>
    public long MaxTokensPerJob { get; init; } = 1L << 30;

    /// <summary>The bounds a deployment gets unless its operator configures others.</summary>
    public static TrainingLimits Default { get; } = new();

    /// <summary>Steps a job of <paramref name="trainingExamples"/> examples runs under <paramref name="config"/>.</summary>
    public static long TotalSteps(RftTrainingConfig config, int trainingExamples)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ((long)trainingExamples * Math.Max(1, config.Epochs) + Math.Max(1, config.PromptsPerStep) - 1) / Math.Max(1, config.PromptsPerStep);
    }

    /// <summary>
    /// Completion tokens one step may generate (saturating, so absurd values cannot wrap around). With dynamic sampling
    /// each refill round samples at most another <see cref="RftTrainingConfig.PromptsPerStep"/> prompts, so the worst
    /// case counts every round.
    /// </summary>
    public static long TokensPerStep(RftTrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var rounds = config.DynamicSampling ? 1.0 + Math.Max(0, config.DynamicSamplingMaxRounds) : 1.0;
        var tokens = rounds * config.PromptsPerStep * config.SamplesPerPrompt * config.MaxCompletionTokens;
        return tokens >= long.MaxValue ? long.MaxValue : (long)tokens;
    }

    /// <summary>Every bound <paramref name="config"/> exceeds, each starting with the property's name.</summary>
    public IReadOnlyList<string> Validate(RftTrainingConfig config, int trainingExamples)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<string>();
        void AtMost<T>(T value, T max, string name)
            where T : IComparable<T>
        {
            // NaN compares below everything, so it is refused here too rather than slipping through.
            if (value.CompareTo(max) > 0 || value is double d && !double.IsFinite(d))
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"{name} must be at most {max} on this deployment, not {value}"));
        }
        AtMost(config.Epochs, MaxEpochs, nameof(config.Epochs));
        AtMost(config.PromptsPerStep, MaxPromptsPerStep, nameof(config.PromptsPerStep));
        AtMost(config.SamplesPerPrompt, MaxSamplesPerPrompt, nameof(config.SamplesPerPrompt));
        AtMost(config.MaxCompletionTokens, MaxCompletionTokens, nameof(config.MaxCompletionTokens));
        AtMost(config.Temperature, MaxTemperature, nameof(config.Temperature));
        AtMost(config.ClipEpsilonHigh, MaxClipEpsilonHigh, nameof(config.ClipEpsilonHigh));
        AtMost(config.Beta, MaxBeta, nameof(config.Beta));
        AtMost(config.IterationsPerBatch, MaxIterationsPerBatch, nameof(config.IterationsPerBatch));
        AtMost(config.GradientAccumulationSteps, MaxGradientAccumulationSteps, nameof(config.GradientAccumulationSteps));
        AtMost(config.LearningRate, MaxLearningRate, nameof(config.LearningRate));
        AtMost(config.WeightDecay, MaxWeightDecay, nameof(config.WeightDecay));
        AtMost(config.MaxGradNorm, MaxGradNorm, nameof(config.MaxGradNorm));
        AtMost(config.WarmupSteps, MaxWarmupSteps, nameof(config.WarmupSteps));
        AtMost(config.LoraRank, MaxLoraRank, nameof(config.LoraRank));
        AtMost(config.LoraAlpha, MaxLoraAlpha, nameof(config.LoraAlpha));
        AtMost(config.LoraTargets.Count, MaxLoraTargets, nameof(config.LoraTargets));
        if (config.LoraTargets.Any(t => t is { Length: > 128 }))
            problems.Add($"{nameof(config.LoraTargets)} names must be at most 128 characters");
        AtMost(config.EvalInterval, MaxEvalInterval, nameof(config.EvalInterval));
        AtMost(config.EvalSamples, MaxEvalSamples, nameof(config.EvalSamples));
        AtMost(config.CheckpointsKept, MaxCheckpointsKept, nameof(config.CheckpointsKept));
        AtMost(config.StepsPerGeneration, MaxStepsPerGeneration, nameof(config.StepsPerGeneration));
        if (problems.Count > 0) return problems; // the cost below is only meaningful for values within their bounds

        var perStep = TokensPerStep(config);
        if (perStep > MaxTokensPerStep)
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{nameof(config.SamplesPerPrompt)} × {nameof(config.PromptsPerStep)} × {nameof(config.MaxCompletionTokens)}{(config.DynamicSampling ? " × (1 + DynamicSamplingMaxRounds)" : "")} = {perStep} completion tokens per step; this deployment allows at most {MaxTokensPerStep}"));
        var perJob = (double)perStep * TotalSteps(config, trainingExamples);
        if (perJob > MaxTokensPerJob)
            problems.Add(string.Create(CultureInfo.InvariantCulture,
                $"{nameof(config.Epochs)}: {TotalSteps(config, trainingExamples)} steps × {perStep} tokens per step = {perJob:0} completion tokens for the job; this deployment allows at most {MaxTokensPerJob}"));
        return problems;
    }
}
