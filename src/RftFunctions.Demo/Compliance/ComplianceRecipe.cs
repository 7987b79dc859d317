using RftFunctions.Demo.Genes;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Demo.Compliance;

/// <summary>
/// Every science knob of the compliance demo: the policy book, the base model, the request counts and the RFT job's
/// training config (its prompt order is <see cref="PromptSchedule"/> over <see cref="TrainItems"/>; Seed set per run).
/// </summary>
public sealed record ComplianceRecipe
{
    /// <summary>The policy book.</summary>
    public required PolicyBookOptions Policies { get; init; }

    /// <summary>How the base model is built (size, pretraining on the clauses, warm-up on the answer format).</summary>
    public required DemoBaseModelOptions BaseModel { get; init; }

    /// <summary>Training requests (training clauses only).</summary>
    public required int TrainItems { get; init; }

    /// <summary>Held-out requests (held-out clauses only).</summary>
    public required int HeldOutItems { get; init; }

    /// <summary>The RFT job's config (Seed is replaced by the run's seed).</summary>
    public required RftTrainingConfig Training { get; init; }

    /// <summary>RFT steps, as the job computes them.</summary>
    public int Steps => new PromptSchedule(TrainItems, Training.PromptsPerStep, Training.Epochs, 0).TotalSteps;

    /// <summary>The training config of a run with <paramref name="seed"/>.</summary>
    public RftTrainingConfig TrainingFor(long seed) => Training with { Seed = seed };

    /// <summary>The configuration the README's numbers were measured with.</summary>
    public static ComplianceRecipe Default { get; } = new()
    {
        // 6 actions x 6 kinds of data = 36 clauses; 2 per action (12) held out.
        Policies = new PolicyBookOptions(Actions: 6, DataKinds: 6, HeldOutPerAction: 2),
        BaseModel = DemoBaseModelOptions.Default with
        {
            Size = DemoBaseModelOptions.Default.Size with { HiddenSize = 64, IntermediateSize = 128, Layers = 2 },
            PretrainSteps = 400,
            WarmupSteps = 800,
            BatchSize = 16,
            WordTokens = true,
            // Three warm-up answers in ten look the clause up first: too few for greedy decoding to start with it,
            // enough that sampling finds it and RFT can reward it. (At one in ten the tiny model never learned to
            // look up well enough: its rare explanation-first samples cited the wrong clause and earned nothing;
            // bench compliance-science, seed 7.)
            WarmupReasonedFraction = 0.3,
        },
        // 96 requests, 8 per step, two epochs: 24 steps.
        TrainItems = 96,
        HeldOutItems = 120,
        Training = new RftTrainingConfig
        {
            PromptsPerStep = 8,
            SamplesPerPrompt = 8,
            MaxCompletionTokens = ComplianceEvaluation.MaxAnswerTokens,
            LearningRate = 1e-3,
            Mode = FineTuningMode.Full,
            WeightDecay = 0,
            Epochs = 2,
            EvalInterval = 6,
        },
    };

    /// <summary>A small, fast recipe for the CI pipeline test: fewer clauses, a shorter base-model build and fewer steps.</summary>
    public static ComplianceRecipe Reduced { get; } = Default with
    {
        Policies = new PolicyBookOptions(Actions: 4, DataKinds: 4, HeldOutPerAction: 2),
        BaseModel = Default.BaseModel with { PretrainSteps = 250, WarmupSteps = 500 },
        TrainItems = 16,
        HeldOutItems = 16,
        Training = Default.Training with { Epochs = 4, EvalInterval = 4 },
    };
}
