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
/// Where TRL's GRPOConfig has the same knob under another name, the comment gives TRL's name ("TRL: name").
/// </summary>
public sealed record RftTrainingConfig
{
    // ---- Data and schedule --------------------------------------------------------------------------------------
    /// <summary>The job seed: prompt order, sampling, dropout and initialisation all derive from it (TRL: seed).</summary>
    public long Seed { get; init; } = 42;

    /// <summary>Passes over the training set (TRL: num_train_epochs).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Prompts per step (OpenAI's batch_size; TRL: generation_batch_size / num_generations).</summary>
    public int PromptsPerStep { get; init; } = 8;

    // ---- Rollouts -----------------------------------------------------------------------------------------------
    /// <summary>Samples per prompt (G): the group whose rewards are compared (TRL: num_generations).</summary>
    public int SamplesPerPrompt { get; init; } = 8;

    /// <summary>Completion budget in tokens; longer completions are truncated (TRL: max_completion_length).</summary>
    public int MaxCompletionTokens { get; init; } = 256;

    /// <summary>Sampling temperature of rollouts; the trainer divides its logits by the same value, so sampler and
    /// trainer score one distribution (TRL: temperature).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Nucleus sampling for rollouts (TRL: top_p). 1 = off, keeps the policy gradient unbiased; below 1 the
    /// sampler draws from the truncated distribution but the trainer scores the full one (as TRL does), so job
    /// creation warns (<see cref="Warnings"/>).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Leave truncated completions out of the loss (they were not judged on a finished answer; TRL:
    /// mask_truncated_completions).</summary>
    public bool MaskTruncatedCompletions { get; init; }

    /// <summary>DAPO dynamic sampling (Yu et al. 2025, §3.2; verl algorithm.filter_groups): groups whose rewards are
    /// all equal carry no gradient, so they are dropped and the batch is refilled with fresh prompts (chosen by
    /// <c>PromptSchedule.Refill</c>, a pure function of seed, step and round), at most
    /// <see cref="DynamicSamplingMaxRounds"/> extra rounds. Off by default: each round costs a rollout.</summary>
    public bool DynamicSampling { get; init; }

    /// <summary>Extra rollout rounds dynamic sampling may run per step (verl: max_num_gen_batches, DAPO's recipe 10);
    /// after them the step trains on the groups with signal it has.</summary>
    public int DynamicSamplingMaxRounds { get; init; } = 3;

    /// <summary>DAPO's soft overlong punishment (Yu et al. 2025, eq. 13): the last this many tokens before the budget
    /// cost up to <see cref="OverlongPenaltyFactor"/> reward, linearly (TRL: the soft_punish_cache of
    /// get_soft_overlong_punishment; verl: overlong_buffer.len). 0 = off, the default: graders already see truncation.</summary>
    public int OverlongBufferTokens { get; init; }

    /// <summary>The overlong penalty at the budget (verl: overlong_buffer.penalty_factor).</summary>
    public double OverlongPenaltyFactor { get; init; } = 1.0;

    // ---- Advantages ---------------------------------------------------------------------------------------------
    /// <summary>Group mean (GRPO) or leave-one-out (RLOO) baseline (TRL: GRPOTrainer vs RLOOTrainer).</summary>
    public AdvantageBaseline Baseline { get; init; } = AdvantageBaseline.GroupMean;

    /// <summary>Divide advantages by the group std (GRPO), the batch's raw-reward std, or not at all (Dr. GRPO); auto
    /// means group for the group-mean baseline and none for leave-one-out, as verl's RLOO (TRL: scale_rewards).</summary>
    public AdvantageScaling Scaling { get; init; } = AdvantageScaling.Auto;

    // ---- Objective ----------------------------------------------------------------------------------------------
    /// <summary>Token-loss aggregation (DAPO's token-level mean by default, as TRL; TRL: loss_type).</summary>
    public LossAggregation LossAggregation { get; init; } = LossAggregation.Dapo;

    /// <summary>Token ratios (GRPO) or one ratio per sequence (GSPO), TRL: importance_sampling_level. GSPO needs its
    /// recipe (clip epsilons about 3e-4 / 4e-4, grpo aggregation): the API applies it when only this is set, and
    /// <see cref="Validate"/> names an inconsistent mix.</summary>
    public ImportanceLevel Importance { get; init; } = ImportanceLevel.Token;

    /// <summary>Lower clip epsilon (TRL: epsilon).</summary>
    public double ClipEpsilonLow { get; init; } = 0.2;

    /// <summary>Upper clip epsilon (0.28 = DAPO's clip-higher; TRL: epsilon_high).</summary>
    public double ClipEpsilonHigh { get; init; } = 0.2;

    /// <summary>Two-sided clipping (TRL: delta; INTELLECT-2): caps the unclipped ratio so a negative advantage on a
    /// token whose ratio has grown cannot blow up the loss. 0 = off (TRL's default None); when set, above
    /// 1 + ClipEpsilonHigh (TRL recommends 4).</summary>
    public double ClipDelta { get; init; }

    /// <summary>Entropy bonus weight (verl: actor.entropy_coeff; TRL has none): subtracts this × the aggregated
    /// token entropy from the loss, against entropy collapse. 0 = off, as verl's default.</summary>
    public double EntropyCoefficient { get; init; }

    /// <summary>Truncated importance sampling cap (TRL: vllm_importance_sampling_correction +
    /// vllm_importance_sampling_cap): each token's loss is weighted by min(exp(logp_trainer - logp_sampler), cap), so
    /// rollouts from a sampler that disagrees with the trainer (bf16, another engine) still give the trainer's
    /// gradient, with variance bounded by the cap. 2 (Yao et al. 2025's C) by default; 0 = off. With today's one
    /// engine in fp32 the weights are 1 up to rounding; the mismatch metrics show how far they are.</summary>
    public double ImportanceSamplingCap { get; init; } = 2.0;

    /// <summary>KL weight to the frozen base policy; 0 (the common default) holds no reference model (TRL: beta).</summary>
    public double Beta { get; init; }

    /// <summary>Passes over each batch of rollouts (mu; TRL: num_iterations); 1 = fully on-policy.</summary>
    public int IterationsPerBatch { get; init; } = 1;

    /// <summary>Optimiser steps per pass: the step's rollouts are cut into this many mini-batches, one optimiser step
    /// each (verl: train_batch_size / ppo_mini_batch_size; TRL: steps_per_generation / gradient_accumulation_steps).
    /// Above 1, later mini-batches are off-policy and the clip matters. 1 = one step per batch (fully on-policy).
    /// Not to be confused with <see cref="StepsPerGeneration"/>, which is about orchestration history.</summary>
    public int MiniBatches { get; init; } = 1;

    /// <summary>Micro-batches (of completions) accumulated into one optimiser step, to bound memory; the accumulated
    /// gradient equals the whole mini-batch's exactly (TRL: gradient_accumulation_steps).</summary>
    public int GradientAccumulationSteps { get; init; } = 1;

    // ---- Optimiser ----------------------------------------------------------------------------------------------
    /// <summary>Peak learning rate (OpenAI's multiplier scales it; TRL: learning_rate).</summary>
    public double LearningRate { get; init; } = 1e-4;

    /// <summary>AdamW decoupled weight decay (PyTorch's default; TorchSharp's default is 0; TRL: weight_decay). Norms,
    /// biases and embeddings are exempt (<c>WeightDecayPolicy</c>).</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW first-moment beta (TRL: adam_beta1).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW second-moment beta (TRL: adam_beta2).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Gradient-norm clip (TRL: max_grad_norm).</summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Steps of linear warm-up from 0 to the peak (TRL: warmup_steps). The learning rate is set per RFT step;
    /// the mini-batches of one step share it.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>What happens after warm-up (TRL: lr_scheduler_type).</summary>
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

    /// <summary>LoRA dropout. Keep 0 (the default) for exact importance ratios: the trainer runs in train mode (inputs
    /// dropped), the sampler in eval mode, so above 0 ratios after the first optimiser step compare dropout draws (job
    /// creation warns).</summary>
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

    /// <summary>Steps per orchestration generation before ContinueAsNew (bounds history size). Not TRL's
    /// steps_per_generation: that is <see cref="MiniBatches"/> × <see cref="GradientAccumulationSteps"/> here.</summary>
    public int StepsPerGeneration { get; init; } = 10;

    // ---- Health monitors --------------------------------------------------------------------------------------
    /// <summary>What each training-health and reward-hacking detector does when it fires: off, warn (the default) or
    /// pause (see <see cref="Monitors.HealthMonitors"/> and Training/Monitors/README.md). No TRL equivalent.</summary>
    public Monitors.MonitorPolicy Monitors { get; init; } = new();

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
        ClipDelta = ClipDelta,
        Beta = Beta,
        EntropyCoefficient = EntropyCoefficient,
        ImportanceSamplingCap = ImportanceSamplingCap,
        MaxCompletionLength = MaxCompletionTokens,
    };

    /// <summary>The reward the trainer learns from: the grader's plus the soft overlong penalty of a completion of
    /// <paramref name="completionTokens"/> tokens (0 unless <see cref="OverlongBufferTokens"/> is set).</summary>
    public double ShapedReward(double reward, int completionTokens) =>
        reward + RewardShaping.SoftOverlongPenalty(completionTokens, MaxCompletionTokens, OverlongBufferTokens, OverlongPenaltyFactor);

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

    /// <summary>Upper bound of <see cref="IterationsPerBatch"/>.</summary>
    public const int MaxIterationsPerBatch = 16;

    /// <summary>Upper bound of <see cref="MiniBatches"/>.</summary>
    public const int MaxMiniBatches = 256;

    /// <summary>Upper bound of <see cref="ClipDelta"/>.</summary>
    public const double MaxClipDelta = 100;

    /// <summary>Upper bound of <see cref="EntropyCoefficient"/>.</summary>
    public const double MaxEntropyCoefficient = 1;

    /// <summary>Upper bound of <see cref="ImportanceSamplingCap"/>.</summary>
    public const double MaxImportanceSamplingCap = 100;

    /// <summary>Upper bound of <see cref="DynamicSamplingMaxRounds"/>.</summary>
    public const int MaxDynamicSamplingRounds = 16;

    /// <summary>Upper bound of <see cref="OverlongPenaltyFactor"/>.</summary>
    public const double MaxOverlongPenaltyFactor = 10;

    /// <summary>The largest clip epsilon that is consistent with sequence-level (GSPO) ratios.</summary>
    public const double GspoMaxEpsilon = 0.01;

    /// <summary>Valid but questionable settings, worth telling the user at job creation.</summary>
    public IReadOnlyList<string> Warnings()
    {
        var warnings = new List<string>();
        if (TopP < 1)
            warnings.Add($"top_p={TopP.ToString(System.Globalization.CultureInfo.InvariantCulture)} samples from the nucleus but the trainer scores the full distribution (as TRL does): importance ratios and the sampler mismatch are biased for tokens near the cut; top_p=1 keeps the policy gradient unbiased");
        if (LoraDropout > 0 && Mode == FineTuningMode.Lora)
            warnings.Add("lora_dropout > 0: the trainer drops adapter inputs and the sampler does not, so importance ratios after the first optimiser step compare two dropout draws; lora_dropout=0 keeps them exact");
        return warnings;
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
        Check(IterationsPerBatch is >= 1 and <= MaxIterationsPerBatch, $"IterationsPerBatch must be in [1, {MaxIterationsPerBatch}]");
        Check(GradientAccumulationSteps >= 1, "GradientAccumulationSteps must be at least 1");
        Check(MiniBatches is >= 1 and <= MaxMiniBatches, $"MiniBatches must be in [1, {MaxMiniBatches}]");
        Check(MiniBatches <= (long)PromptsPerStep * SamplesPerPrompt, "MiniBatches must not exceed the samples of a step (PromptsPerStep x SamplesPerPrompt)");
        Check(ClipDelta == 0 || (double.IsFinite(ClipDelta) && ClipDelta > 1 + ClipEpsilonHigh && ClipDelta <= MaxClipDelta),
            $"ClipDelta must be 0 (off) or in (1 + ClipEpsilonHigh, {MaxClipDelta}]");
        Check(EntropyCoefficient is >= 0 and <= MaxEntropyCoefficient, $"EntropyCoefficient must be in [0, {MaxEntropyCoefficient}]");
        Check(ImportanceSamplingCap == 0 || ImportanceSamplingCap is >= 1 and <= MaxImportanceSamplingCap,
            $"ImportanceSamplingCap must be 0 (off) or in [1, {MaxImportanceSamplingCap}]");
        Check(DynamicSamplingMaxRounds is >= 0 and <= MaxDynamicSamplingRounds, $"DynamicSamplingMaxRounds must be in [0, {MaxDynamicSamplingRounds}]");
        Check(OverlongBufferTokens >= 0 && OverlongBufferTokens <= MaxCompletionTokens, "OverlongBufferTokens must be in [0, MaxCompletionTokens]");
        Check(OverlongPenaltyFactor is >= 0 and <= MaxOverlongPenaltyFactor, $"OverlongPenaltyFactor must be in [0, {MaxOverlongPenaltyFactor}]");
        if (Importance == ImportanceLevel.Sequence)
        {
            // GSPO's sequence ratio is a geometric mean, within ~1e-3 of 1: token-level epsilons never clip it.
            Check(ClipEpsilonLow <= GspoMaxEpsilon, $"ClipEpsilonLow must be at most {GspoMaxEpsilon} with sequence importance (GSPO's recipe: 3e-4)");
            Check(ClipEpsilonHigh <= GspoMaxEpsilon, $"ClipEpsilonHigh must be at most {GspoMaxEpsilon} with sequence importance (GSPO's recipe: 4e-4)");
            Check(LossAggregation == LossAggregation.Grpo, "LossAggregation must be grpo with sequence importance (GSPO averages per sequence)");
        }
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
