using System.Text;
using System.Text.Json.Nodes;
using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;
using RftFunctions.Training.Trainer;
using Xunit;

namespace RftFunctions.Training.Tests;

/// <summary>Upper bounds on user settings, the per-job cost ceiling, step memory estimates and untrusted dataset text.</summary>
public sealed class TrainingLimitsTests
{
    private static readonly TrainingLimits Limits = TrainingLimits.Default;

    [Fact]
    public void The_default_config_and_every_openai_auto_resolution_are_within_the_default_limits()
    {
        Assert.Empty(Limits.Validate(new RftTrainingConfig(), trainingExamples: 1000));
        foreach (var examples in new[] { 1, 8, 300, 50_000 })
            Assert.Empty(Limits.Validate(new OpenAiHyperparameters().Resolve(new RftTrainingConfig(), examples, seed: 1), examples));
    }

    [Theory]
    [InlineData(nameof(RftTrainingConfig.SamplesPerPrompt))]
    [InlineData(nameof(RftTrainingConfig.PromptsPerStep))]
    [InlineData(nameof(RftTrainingConfig.MaxCompletionTokens))]
    [InlineData(nameof(RftTrainingConfig.LoraRank))]
    [InlineData(nameof(RftTrainingConfig.Epochs))]
    [InlineData(nameof(RftTrainingConfig.IterationsPerBatch))]
    [InlineData(nameof(RftTrainingConfig.GradientAccumulationSteps))]
    [InlineData(nameof(RftTrainingConfig.LearningRate))]
    [InlineData(nameof(RftTrainingConfig.EvalSamples))]
    [InlineData(nameof(RftTrainingConfig.WarmupSteps))]
    [InlineData(nameof(RftTrainingConfig.StepsPerGeneration))]
    public void An_absurd_value_is_refused_naming_its_setting(string property)
    {
        var config = property switch
        {
            nameof(RftTrainingConfig.SamplesPerPrompt) => new RftTrainingConfig { SamplesPerPrompt = 100_000 },
            nameof(RftTrainingConfig.PromptsPerStep) => new RftTrainingConfig { PromptsPerStep = 1_000_000_000 },
            nameof(RftTrainingConfig.MaxCompletionTokens) => new RftTrainingConfig { MaxCompletionTokens = 1_000_000_000 },
            nameof(RftTrainingConfig.LoraRank) => new RftTrainingConfig { LoraRank = 1_000_000 },
            nameof(RftTrainingConfig.Epochs) => new RftTrainingConfig { Epochs = 1_000_000 },
            nameof(RftTrainingConfig.IterationsPerBatch) => new RftTrainingConfig { IterationsPerBatch = 1_000_000 },
            nameof(RftTrainingConfig.GradientAccumulationSteps) => new RftTrainingConfig { GradientAccumulationSteps = 1_000_000_000 },
            nameof(RftTrainingConfig.LearningRate) => new RftTrainingConfig { LearningRate = 1e308 },
            nameof(RftTrainingConfig.EvalSamples) => new RftTrainingConfig { EvalSamples = 1_000_000 },
            nameof(RftTrainingConfig.WarmupSteps) => new RftTrainingConfig { WarmupSteps = int.MaxValue },
            _ => new RftTrainingConfig { StepsPerGeneration = int.MaxValue },
        };
        var problem = Assert.Single(Limits.Validate(config, trainingExamples: 10));
        Assert.StartsWith(property + " must be at most", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cost_ceiling_refuses_settings_that_are_each_within_bounds_but_together_too_big()
    {
        var perStep = new RftTrainingConfig { PromptsPerStep = 256, SamplesPerPrompt = 64, MaxCompletionTokens = 4096 };
        Assert.Contains(Limits.Validate(perStep, 256), p => p.Contains("completion tokens per step", StringComparison.Ordinal));
        // Within the step ceiling, but 50 epochs of 50,000 examples is over the job ceiling.
        var perJob = new RftTrainingConfig { PromptsPerStep = 8, SamplesPerPrompt = 16, MaxCompletionTokens = 1024, Epochs = 50 };
        Assert.Contains(Limits.Validate(perJob, 50_000), p => p.Contains("completion tokens for the job", StringComparison.Ordinal));
        // An operator may allow more.
        Assert.Empty((Limits with { MaxTokensPerStep = long.MaxValue, MaxTokensPerJob = long.MaxValue }).Validate(perJob, 50_000));
    }

    [Fact]
    public void Dynamic_sampling_counts_every_refill_round_in_the_step_ceiling()
    {
        // 64 x 16 x 1024 = 1,048,576 tokens: exactly the default step ceiling without refills.
        var plain = new RftTrainingConfig { PromptsPerStep = 64, SamplesPerPrompt = 16, MaxCompletionTokens = 1024 };
        Assert.Equal(1L << 20, TrainingLimits.TokensPerStep(plain));
        Assert.DoesNotContain(Limits.Validate(plain, 64), p => p.Contains("completion tokens per step", StringComparison.Ordinal));
        // Three refill rounds may sample up to four times as many prompts in one step.
        var refilled = plain with { DynamicSampling = true, DynamicSamplingMaxRounds = 3 };
        Assert.Equal(4L << 20, TrainingLimits.TokensPerStep(refilled));
        Assert.Contains(Limits.Validate(refilled, 64), p => p.Contains("completion tokens per step", StringComparison.Ordinal));
    }

    [Fact]
    public void Hyperparameters_are_bounded_too()
    {
        var cfg = new RftTrainingConfig();
        static JsonNode Number(string json) => JsonNode.Parse(json)!;
        Assert.Throws<ArgumentException>(() => new OpenAiHyperparameters { LearningRateMultiplier = Number("1e308") }.Resolve(cfg, 10, 1));
        Assert.Throws<ArgumentException>(() => new OpenAiHyperparameters { EvalSamples = Number("1000000") }.Resolve(cfg, 10, 1));
        Assert.Throws<ArgumentException>(() => new OpenAiHyperparameters { EvalInterval = Number("1000000000") }.Resolve(cfg, 10, 1));
        Assert.Equal(1e-4 * 100, new OpenAiHyperparameters { LearningRateMultiplier = Number("100") }.Resolve(cfg, 10, 1).LearningRate, 12);
        Assert.Equal(64, new OpenAiHyperparameters { EvalSamples = Number("64") }.Resolve(cfg, 10, 1).EvalSamples);
    }

    [Fact]
    public void Step_memory_estimates_grow_with_the_step_and_saturate()
    {
        var model = new ModelConfig
        {
            Architecture = ModelArchitecture.Qwen3,
            VocabSize = 151_936,
            HiddenSize = 896,
            IntermediateSize = 4864,
            NumHiddenLayers = 24,
            NumAttentionHeads = 14,
            NumKeyValueHeads = 2,
            HeadDim = 64,
        };
        var small = StepMemoryEstimate.Rollout(model, rows: 8, promptTokens: 100, maxNewTokens: 256);
        var large = StepMemoryEstimate.Rollout(model, rows: 4096, promptTokens: 100, maxNewTokens: 4096);
        Assert.InRange(small, 1L << 20, 1L << 30);
        Assert.True(large > 100 * small);
        // A 0.5B model's update of 64 sequences of 1,000 tokens is tens of GiB of logits: it must not look small.
        Assert.True(StepMemoryEstimate.PolicyUpdate(model, 64, 1000, 10_000_000) > 20L << 30);
        Assert.Equal(long.MaxValue, StepMemoryEstimate.Rollout(model, int.MaxValue, int.MaxValue, int.MaxValue));
        var lora = StepMemoryEstimate.TrainableParameters(model, new RftTrainingConfig());
        var full = StepMemoryEstimate.TrainableParameters(model, new RftTrainingConfig { Mode = FineTuningMode.Full });
        Assert.True(full > 10 * lora, $"{full} vs {lora}");
    }

    [Fact]
    public void A_lone_surrogate_in_a_dataset_line_is_an_error_naming_its_field()
    {
        var text = """{"messages":[{"role":"user","content":"ok"}],"answer":"a"}""" + "\n"
                   + """{"messages":[{"role":"user","content":"bad \ud800 text"}],"answer":"a"}""" + "\n"
                   + """{"messages":[{"role":"user","content":"ok"}],"meta":{"k":["x","\udc00"]}}""";
        var result = RftDatasetReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        Assert.Equal([1], result.Examples.Select(e => e.LineNumber));
        Assert.Equal([(2, "messages[0].content"), (3, "meta.k[1]")], result.Errors.Select(e => (e.Line, e.Field!)));
        Assert.All(result.Errors, e => Assert.Equal("invalid_string", e.Code));
    }

    [Fact]
    public void A_dataset_line_nested_deeper_than_64_is_invalid_json()
    {
        var deep = """{"messages":[{"role":"user","content":"x"}],"deep":""" + new string('[', 200) + new string(']', 200) + "}";
        var error = Assert.Single(RftDatasetReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(deep))).Errors);
        Assert.Equal("invalid_json", error.Code);
    }
}
