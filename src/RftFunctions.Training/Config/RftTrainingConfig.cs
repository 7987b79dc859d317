using RftFunctions.Training.Grpo;

namespace RftFunctions.Training.Config;

/// <summary>Which weights the policy update changes.</summary>
public enum FineTuningMode
{
    /// <summary>Low-rank adapters on chosen projections; the base stays frozen (small checkpoints, less memory).</summary>
    Lora,

    /// <summary>Every weight.</summary>
    Full,
}

/// <summary>Learning-rate schedule after warm-up.</summary>
public enum LearningRateSchedule
{
    /// <summary>Stay at the peak.</summary>
    Constant,

    /// <summary>Cosine decay to <see cref="RftTrainingConfig.MinLearningRateRatio"/> × peak at the last step.</summary>
    Cosine,
}

/// <summary>
/// Every knob of an RFT job in one place, with its default and why. OpenAI's hyperparameters map onto it through
/// <see cref="OpenAiHyperparameters.Resolve"/>; everything else has a default that works for small models on CPU.
/// </summary>
public sealed record RftTrainingConfig
{
    // ---- Data and schedule --------------------------------------------------------------------------------------
    /// <summary>The job seed: prompt order, sampling, dropout and initialisation all derive from it.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Prompts per step (OpenAI's batch_size).</summary>
    public int PromptsPerStep { get; init; } = 8;

    // ---- Rollouts -----------------------------------------------------------------------------------------------
    /// <summary>Samples per prompt (G): the group whose rewards are compared.</summary>
    public int SamplesPerPrompt { get; init; } = 8;

    /// <summary>Completion budget in tokens; longer completions are truncated.</summary>
    public int MaxCompletionTokens { get; init; } = 256;

    /// <summary>Sampling temperature of rollouts (log-probs are taken at the same temperature).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling for rollouts (1 = off, keeps the policy gradient unbiased).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Leave truncated completions out of the loss (they were not judged on a finished answer).</summary>
    public bool MaskTruncatedCompletions { get; init; }

    // ---- Advantages ---------------------------------------------------------------------------------------------
    /// <summary>Group mean (GRPO) or leave-one-out (RLOO) baseline.</summary>
    public AdvantageBaseline Baseline { get; init; } = AdvantageBaseline.GroupMean;

    /// <summary>Divide advantages by the group std (GRPO), the batch std, or not at all (Dr. GRPO).</summary>
    public AdvantageScaling Scaling { get; init; } = AdvantageScaling.Group;

    // ---- Objective ----------------------------------------------------------------------------------------------
    /// <summary>Token-loss aggregation (DAPO's token-level mean by default, as TRL).</summary>
    public LossAggregation LossAggregation { get; init; } = LossAggregation.Dapo;

    /// <summary>Token ratios (GRPO) or one ratio per sequence (GSPO).</summary>
    public ImportanceLevel Importance { get; init; } = ImportanceLevel.Token;

    /// <summary>Lower clip epsilon.</summary>
    public double ClipEpsilonLow { get; init; } = 0.2;

    /// <summary>Upper clip epsilon (0.28 = DAPO's clip-higher).</summary>
    public double ClipEpsilonHigh { get; init; } = 0.2;

    /// <summary>KL weight to the frozen base policy; 0 (the common default) holds no reference model.</summary>
    public double Beta { get; init; }

    /// <summary>Optimiser passes over each batch of rollouts (mu); 1 = fully on-policy.</summary>
    public int IterationsPerBatch { get; init; } = 1;

    /// <summary>Micro-batches (of completions) accumulated into one optimiser step, to bound memory.</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    // ---- Optimiser ----------------------------------------------------------------------------------------------
    /// <summary>Peak learning rate (OpenAI's multiplier scales it).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW decoupled weight decay (PyTorch's default; TorchSharp's default is 0).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW betas.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW second-moment beta.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Gradient-norm clip.</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Steps of linear warm-up from 0 to the peak.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>What happens after warm-up.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>Cosine floor as a fraction of the peak.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;

    // ---- Policy parameterisation --------------------------------------------------------------------------------
    /// <summary>LoRA adapters or full fine-tuning.</summary>
    public FineTuningMode Mode { get; init; } = FineTuningMode.Lora;

    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; init; } = 16;

    /// <summary>LoRA alpha (scale = alpha / rank).</summary>
    public double LoraAlpha { get; init; } = 32;

    /// <summary>LoRA dropout.</summary>
    public double LoraDropout { get; init; }

    /// <summary>Projections that get adapters (Hugging Face module names).</summary>
    public IReadOnlyList<string> LoraTargets { get; init; } = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    // ---- Validation and checkpoints -----------------------------------------------------------------------------
    /// <summary>Validate (and checkpoint) every this many steps, and at the last step.</summary>
    public int EvalInterval { get; init; } = 10;

    /// <summary>Samples per validation item.</summary>
    public int EvalSamples { get; init; } = 1;

    /// <summary>Checkpoints kept, best by valid reward (OpenAI keeps 3).</summary>
    public int CheckpointsKept { get; init; } = 3;

    /// <summary>Steps per orchestration generation before ContinueAsNew (bounds history size).</summary>
    public int StepsPerGeneration { get; init; } = 10;

    // ---- Compute budget and fault injection ------------------------------------------------------------------
    /// <summary>Optional compute budget: when the job has used it up it pauses itself (see <see cref="ComputeBudget"/>).</summary>
    public ComputeBudget? Budget { get; init; }

    /// <summary>
    /// Test-only fault injection: 0-based steps whose loss is made NaN, so the NaN/Inf guard (skip the update, warn,
    /// continue from the last good state) can be exercised end to end through the orchestration. Empty in real jobs;
    /// OpenAI's hyperparameters never set it.
    /// </summary>
    public IReadOnlyList<int> InjectNonFiniteLossAtSteps { get; init; } = [];

    /// <summary>The objective's options.</summary>
    public PolicyLossOptions PolicyLossOptions => new()
    {
        Aggregation = LossAggregation,
        Importance = Importance,
        ClipEpsilonLow = ClipEpsilonLow,
        ClipEpsilonHigh = ClipEpsilonHigh,
        Beta = Beta,
        MaxCompletionLength = MaxCompletionTokens,
    };

    /// <summary>The learning rate at 0-based <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    public double LearningRateAt(int step, int totalSteps)
    {
        if (step < WarmupSteps) return LearningRate * (step + 1) / (WarmupSteps + 1);
        if (Schedule == LearningRateSchedule.Constant) return LearningRate;
        int decaySteps = Math.Max(1, totalSteps - WarmupSteps - 1);
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        double floor = MinLearningRateRatio * LearningRate;
        return floor + ((LearningRate - floor) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>Every problem with the values, each naming the field.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        void Check(bool ok, string problem)
        {
            if (!ok) problems.Add(problem);
        }
        Check(Epochs >= 1, "Epochs must be at least 1");
        Check(PromptsPerStep >= 1, "PromptsPerStep must be at least 1");
        Check(SamplesPerPrompt >= 2, "SamplesPerPrompt must be at least 2 (advantages compare samples of one prompt)");
        Check(MaxCompletionTokens >= 1, "MaxCompletionTokens must be at least 1");
        Check(Temperature > 0 && double.IsFinite(Temperature), "Temperature must be positive");
        Check(TopP is > 0 and <= 1, "TopP must be in (0, 1]");
        Check(ClipEpsilonLow is > 0 and < 1, "ClipEpsilonLow must be in (0, 1)");
        Check(ClipEpsilonHigh > 0, "ClipEpsilonHigh must be positive");
        Check(Beta >= 0, "Beta must not be negative");
        Check(IterationsPerBatch >= 1, "IterationsPerBatch must be at least 1");
        Check(GradientAccumulationSteps >= 1, "GradientAccumulationSteps must be at least 1");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "LearningRate must be positive");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), "WeightDecay must not be negative");
        Check(Beta1 is >= 0 and < 1, "Beta1 must be in [0, 1)");
        Check(Beta2 is >= 0 and < 1, "Beta2 must be in [0, 1)");
        Check(MinLearningRateRatio is >= 0 and <= 1, "MinLearningRateRatio must be in [0, 1]");
        Check(MaxGradNorm > 0, "MaxGradNorm must be positive");
        Check(WarmupSteps >= 0, "WarmupSteps must not be negative");
        Check(LoraRank >= 1, "LoraRank must be at least 1");
        Check(LoraAlpha > 0 && double.IsFinite(LoraAlpha), "LoraAlpha must be positive");
        Check(LoraTargets.Count > 0, "LoraTargets must name at least one projection");
        Check(LoraDropout is >= 0 and < 1, "LoraDropout must be in [0, 1)");
        Check(EvalInterval >= 1, "EvalInterval must be at least 1");
        Check(EvalSamples >= 1, "EvalSamples must be at least 1");
        Check(CheckpointsKept >= 1, "CheckpointsKept must be at least 1");
        Check(StepsPerGeneration >= 1, "StepsPerGeneration must be at least 1");
        if (Budget is not null) problems.AddRange(Budget.Validate());
        Check(InjectNonFiniteLossAtSteps.All(s => s >= 0), "InjectNonFiniteLossAtSteps must hold 0-based steps");
        return problems;
    }
}
