using System.Text.Json.Nodes;
using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Training.Tests;

public sealed class TrainingConfigTests
{
    [Fact]
    public void Auto_hyperparameters_follow_the_documented_rules()
    {
        var config = OpenAiHyperparameters.FromJson(null).Resolve(new RftTrainingConfig(), trainingExamples: 100, seed: 7);

        Assert.Equal(3, config.Epochs); // ceil(256 / 100)
        Assert.Equal(8, config.PromptsPerStep);
        Assert.Equal(1e-4, config.LearningRate);
        Assert.Equal(8, config.SamplesPerPrompt);
        Assert.Equal(3, config.EvalInterval); // 38 steps / 10
        Assert.Equal(256, config.MaxCompletionTokens);
        Assert.Equal(7, config.Seed);
    }

    [Fact]
    public void Explicit_hyperparameters_are_applied()
    {
        var json = JsonNode.Parse("""
            { "n_epochs": 2, "batch_size": 4, "learning_rate_multiplier": 0.5, "eval_interval": 5, "eval_samples": 3,
              "compute_multiplier": 0.5, "reasoning_effort": "high" }
            """)!.AsObject();

        var config = OpenAiHyperparameters.FromJson(json).Resolve(new RftTrainingConfig { Mode = FineTuningMode.Full }, 10, 1);

        Assert.Equal((2, 4, 5e-6, 5, 3, 4, 512), (config.Epochs, config.PromptsPerStep, config.LearningRate, config.EvalInterval, config.EvalSamples, config.SamplesPerPrompt, config.MaxCompletionTokens));
    }

    [Theory]
    [InlineData("""{ "n_epochs": 0 }""", "hyperparameters.n_epochs")]
    [InlineData("""{ "batch_size": 2.5 }""", "hyperparameters.batch_size")]
    [InlineData("""{ "learning_rate_multiplier": 0 }""", "hyperparameters.learning_rate_multiplier")]
    [InlineData("""{ "compute_multiplier": 11 }""", "hyperparameters.compute_multiplier")]
    [InlineData("""{ "eval_interval": "often" }""", "hyperparameters.eval_interval")]
    [InlineData("""{ "reasoning_effort": "max" }""", "hyperparameters.reasoning_effort")]
    public void Out_of_range_values_name_the_field(string json, string field)
    {
        var hyperparameters = OpenAiHyperparameters.FromJson(JsonNode.Parse(json)!.AsObject());

        var error = Assert.Throws<ArgumentException>(() => hyperparameters.Resolve(new RftTrainingConfig(), 10, 1));

        Assert.StartsWith(field, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Learning_rate_warms_up_linearly_then_decays_by_cosine_to_the_floor()
    {
        var config = new RftTrainingConfig { LearningRate = 1.0, WarmupSteps = 3, Schedule = LearningRateSchedule.Cosine, MinLearningRateRatio = 0.1 };

        // 12 steps: 3 of warm-up, then steps 3..11 decay over 8 intervals.
        Assert.Equal([0.25, 0.5, 0.75, 1.0], Enumerable.Range(0, 4).Select(s => config.LearningRateAt(s, 12)));
        Assert.Equal(0.55, config.LearningRateAt(7, 12), 10); // half-way through the decay
        Assert.Equal(0.1, config.LearningRateAt(11, 12), 10);
    }

    [Fact]
    public void Validate_names_each_bad_knob()
    {
        var problems = new RftTrainingConfig { SamplesPerPrompt = 1, TopP = 0, LoraDropout = 1 }.Validate();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("SamplesPerPrompt", StringComparison.Ordinal));
    }
}

public sealed class TrainerKnobConsistencyTests
{
    [Fact]
    public void Sequence_importance_with_token_level_epsilons_is_named_as_inconsistent()
    {
        var problems = new RftTrainingConfig { Importance = RftFunctions.Training.Grpo.ImportanceLevel.Sequence }.Validate();

        Assert.Contains(problems, p => p.StartsWith("ClipEpsilonLow", StringComparison.Ordinal) && p.Contains("GSPO", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ClipEpsilonHigh", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("LossAggregation", StringComparison.Ordinal));
        Assert.Empty(new RftTrainingConfig
        {
            Importance = RftFunctions.Training.Grpo.ImportanceLevel.Sequence,
            ClipEpsilonLow = 3e-4,
            ClipEpsilonHigh = 4e-4,
            LossAggregation = RftFunctions.Training.Grpo.LossAggregation.Grpo,
        }.Validate());
    }

    [Theory]
    [InlineData("MiniBatches", 0)]
    [InlineData("MiniBatches", 100000)]
    [InlineData("ClipDelta", 1.1)]
    [InlineData("EntropyCoefficient", -0.1)]
    [InlineData("ImportanceSamplingCap", 0.5)]
    [InlineData("DynamicSamplingMaxRounds", 99)]
    [InlineData("OverlongBufferTokens", 100000)]
    [InlineData("OverlongPenaltyFactor", 1000)]
    [InlineData("IterationsPerBatch", 1000)]
    public void New_knobs_have_bounds(string knob, double value)
    {
        var property = typeof(RftTrainingConfig).GetProperty(knob)!;
        var config = new RftTrainingConfig();
        property.SetValue(config, property.PropertyType == typeof(int) ? (object)(int)value : value);

        Assert.Contains(config.Validate(), p => p.StartsWith(knob, StringComparison.Ordinal));
    }

    [Fact]
    public void Top_p_below_one_and_lora_dropout_are_warned_about()
    {
        Assert.Empty(new RftTrainingConfig().Warnings());
        Assert.Contains(new RftTrainingConfig { TopP = 0.9 }.Warnings(), w => w.StartsWith("top_p=0.9", StringComparison.Ordinal));
        Assert.Contains(new RftTrainingConfig { LoraDropout = 0.1 }.Warnings(), w => w.StartsWith("lora_dropout", StringComparison.Ordinal));
    }

    [Fact]
    public void Refill_prompts_are_a_pure_function_of_seed_step_and_round()
    {
        var schedule = new RftFunctions.Training.Datasets.PromptSchedule(50, 8, 1, seed: 3);

        var first = schedule.Refill(step: 2, round: 1, count: 6);

        Assert.Equal(first, new RftFunctions.Training.Datasets.PromptSchedule(50, 8, 1, seed: 3).Refill(2, 1, 6));
        Assert.Equal(6, first.Distinct().Count());
        Assert.NotEqual(first, schedule.Refill(2, 2, 6));
        Assert.NotEqual(first, schedule.Refill(3, 1, 6));
        Assert.Equal(50, schedule.Refill(0, 1, 99).Distinct().Count());
    }

    [Fact]
    public void A_prompt_repeated_in_one_step_gets_a_different_sampling_seed()
    {
        long a = RftFunctions.Training.Datasets.RolloutSeeds.For(42, 1, step: 3, position: 0, example: 7);
        long b = RftFunctions.Training.Datasets.RolloutSeeds.For(42, 1, step: 3, position: 5, example: 7);

        Assert.NotEqual(a, b);
        Assert.Equal(a, RftFunctions.Training.Datasets.RolloutSeeds.For(42, 1, 3, 0, 7));
        Assert.True(a >= 0 && b >= 0);
    }
}
