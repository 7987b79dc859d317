using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Grpo;
using RftFunctions.Training.Trainer;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Training.Tests;

/// <summary>The trainer's arithmetic pinned: exact gradient accumulation, token-averaged statistics, on-policy wiring,
/// temperature, mini-batches, gradient clipping and which parameters get weight decay.</summary>
public sealed class TrainerMathTests
{
    private static readonly TinyModelSize Size = new(HiddenSize: 32, IntermediateSize: 64, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 8);

    private static RftTrainingConfig Config(FineTuningMode mode = FineTuningMode.Full) => new()
    {
        Seed = 5,
        SamplesPerPrompt = 5,
        PromptsPerStep = 2,
        MaxCompletionTokens = 8,
        Mode = mode,
        LoraRank = 4,
        LoraAlpha = 8,
        LearningRate = 5e-3,
    };

    /// <summary>Ten synthetic completions of uneven lengths (1..8 tokens), two groups of five, with stored log-probs that
    /// differ from the policy's (so ratios are not 1 and some clip) and one truncated completion.</summary>
    private static List<RolloutSample> SyntheticBatch()
    {
        var samples = new List<RolloutSample>();
        for (int i = 0; i < 10; i++)
        {
            int length = 1 + (i * 3 % 8);
            var prompt = Enumerable.Range(0, 3 + (i % 2)).Select(t => 20 + ((i * 7 + t * 11) % 90)).ToList();
            var completion = Enumerable.Range(0, length).Select(t => 30 + ((i * 13 + t * 5) % 80)).ToList();
            var old = Enumerable.Range(0, length).Select(t => (float)(-5.6 + (0.35 * ((i + t) % 5 - 2)))).ToList();
            samples.Add(new RolloutSample(prompt, completion, old, Reward: (i * 37 % 10) / 10.0, Truncated: i == 3));
        }
        return samples;
    }

    private static float[] Gradients(PolicyTrainer trainer) =>
        [.. trainer.TrainableParameters.SelectMany(p => p.grad is null ? new float[p.numel()] : p.grad.detach().cpu().data<float>().ToArray())];

    [Theory]
    [InlineData(LossAggregation.Grpo)]
    [InlineData(LossAggregation.Bnpo)]
    [InlineData(LossAggregation.DrGrpo)]
    [InlineData(LossAggregation.Dapo)]
    public void Accumulated_gradients_equal_the_full_batch_gradient_with_uneven_micro_batches(LossAggregation aggregation)
    {
        using var scope = NewDisposeScope();
        var samples = SyntheticBatch();
        (float[] Gradient, (double Low, double High, double Kl) Stats) Run(int microBatches)
        {
            var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 21, Size);
            var (reference, _) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 22, Size);
            using var trainer = new PolicyTrainer(model, Config() with
            {
                LossAggregation = aggregation,
                GradientAccumulationSteps = microBatches,
                MaskTruncatedCompletions = true,
                Beta = 0.04,
            }, totalSteps: 10, reference);
            var stats = trainer.AccumulateGradients(samples);
            return (Gradients(trainer), stats);
        }

        var full = Run(1);
        // 10 samples in 4 micro-batches: 3/3/2/2 (the old ceil split was 3/3/3/1).
        var accumulated = Run(4);

        Assert.Contains(full.Gradient, g => Math.Abs(g) > 1e-4);
        double worst = full.Gradient.Zip(accumulated.Gradient, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-6, $"{aggregation}: accumulated gradient differs by up to {worst:E2}");
        // Clip ratios and KL are token averages, so they do not depend on how the batch was cut either.
        Assert.True(full.Stats.Low + full.Stats.High > 0, "the synthetic batch should clip some tokens");
        Assert.Equal(full.Stats.Low, accumulated.Stats.Low, 9);
        Assert.Equal(full.Stats.High, accumulated.Stats.High, 9);
        Assert.Equal(full.Stats.Kl, accumulated.Stats.Kl, 6);
    }

    /// <summary>Samples from the model at <paramref name="temperature"/>; rewards the share of lowercase letters.</summary>
    private static List<RolloutSample> Rollouts(DecoderModel model, ITextTokenizer tokenizer, int step, double temperature = 1.0, int prompts = 2, int samples = 5)
    {
        model.eval();
        var generator = new TextGenerator(model, tokenizer);
        var requests = Enumerable.Range(0, prompts).Select(p => new GenerationRequest(
            tokenizer.Encode($"prompt {p}:"),
            new SamplingParameters { N = samples, MaxTokens = 8, Seed = (step * 100) + p, StopAtEos = false, Temperature = temperature })).ToList();
        return generator.Generate(requests)
            .OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex)
            .Select(s => new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs,
                s.Text.Count(char.IsAsciiLetterLower) / 8.0 + (s.SampleIndex * 0.01), s.FinishReason == FinishReason.Length))
            .ToList();
    }

    [Fact]
    public void The_trainer_scores_at_the_sampling_temperature()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 31, Size);
        var samples = Rollouts(model, tokenizer, 0, temperature: 0.5);
        var (copy, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 31, Size);

        using var matching = new PolicyTrainer(model, Config() with { Temperature = 0.5 }, totalSteps: 10);
        var same = matching.Update(samples, 0);
        using var ignoring = new PolicyTrainer(copy, Config() with { Temperature = 1.0 }, totalSteps: 10);
        var other = ignoring.Update(samples, 0);

        Assert.True(same.SamplerMismatchMax < 1e-4, $"sampler and trainer disagree by up to {same.SamplerMismatchMax} at T = 0.5");
        Assert.True(other.SamplerMismatchMean > 1e-2, $"scoring at T = 1 what was sampled at T = 0.5 differs only by {other.SamplerMismatchMean}");
    }

    [Fact]
    public void On_policy_the_ratio_is_one_and_nothing_clips_while_several_optimiser_steps_per_batch_clip()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 32, Size);
        var samples = Rollouts(model, tokenizer, 0);
        var (copy, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 32, Size);
        var config = Config() with { LearningRate = 2e-2, MaxGradNorm = 100, ClipEpsilonLow = 0.05, ClipEpsilonHigh = 0.05 };

        using var onPolicy = new PolicyTrainer(model, config, totalSteps: 10);
        var one = onPolicy.Update(samples, 0);
        using var offPolicy = new PolicyTrainer(copy, config with { IterationsPerBatch = 2, MiniBatches = 2 }, totalSteps: 10);
        var four = offPolicy.Update(samples, 0);

        Assert.Equal(1, one.OptimizerSteps);
        Assert.Equal(0, one.ClipRatioLow + one.ClipRatioHigh);
        Assert.True(one.SamplerMismatchMax < 1e-4, $"rollouts from the policy differ from its scores by {one.SamplerMismatchMax}");
        Assert.Equal(4, four.OptimizerSteps);
        Assert.True(four.ClipRatioLow + four.ClipRatioHigh > 0, "later optimiser steps of one batch should clip");
        Assert.True(four.SamplerMismatchMax < 1e-4, "the old policy is the one that sampled");
    }

    [Fact]
    public void Gradient_clipping_leaves_a_norm_at_most_the_maximum()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 33, Size);
        using var trainer = new PolicyTrainer(model, Config() with { MaxGradNorm = 1e-3 }, totalSteps: 10);

        var metrics = trainer.Update(Rollouts(model, tokenizer, 0), 0);

        double after = Math.Sqrt(trainer.TrainableParameters.Where(p => p.grad is not null)
            .Sum(p => p.grad!.detach().to_type(ScalarType.Float64).pow(2).sum().item<double>()));
        Assert.True(metrics.GradNorm > 1e-3, $"the gradient norm {metrics.GradNorm} was not above the maximum");
        Assert.True(after <= 1e-3 * (1 + 1e-4), $"norm after clipping {after}");
    }

    [Fact]
    public void Full_fine_tuning_decays_weight_matrices_but_not_norms_biases_or_embeddings()
    {
        using var scope = NewDisposeScope();
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 34, Size);
        using var trainer = new PolicyTrainer(model, Config(FineTuningMode.Full), totalSteps: 10);
        var all = model.named_parameters().Select(p => p.name).ToList();

        var decayed = trainer.DecayedParameterNames;

        Assert.Contains("model.layers.0.self_attn.q_proj.weight", decayed);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", decayed);
        Assert.DoesNotContain(decayed, n => n.EndsWith("norm.weight", StringComparison.Ordinal));
        Assert.DoesNotContain(decayed, n => n.EndsWith(".bias", StringComparison.Ordinal));
        Assert.DoesNotContain("model.embed_tokens.weight", decayed);
        Assert.Contains(all, n => n.EndsWith(".bias", StringComparison.Ordinal)); // Qwen2 has q/k/v biases to exempt
        Assert.Equal(all.Count(WeightDecayPolicy.Decays), decayed.Count);
    }

    [Fact]
    public void Lora_decays_both_adapter_matrices()
    {
        using var scope = NewDisposeScope();
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 35, Size);
        using var trainer = new PolicyTrainer(model, Config(FineTuningMode.Lora), totalSteps: 10);

        Assert.Equal(trainer.TrainableParameters.Count, trainer.DecayedParameterNames.Count);
        Assert.All(trainer.DecayedParameterNames, n => Assert.Matches(@"\.lora_[AB]\.weight$", n));
    }

    [Fact]
    public void Batches_are_cut_into_runs_that_differ_by_at_most_one()
    {
        Assert.Equal([(0, 3), (3, 3), (6, 2), (8, 2)], PolicyTrainer.Split(0, 10, 4));
        Assert.Equal([(5, 1), (6, 1)], PolicyTrainer.Split(5, 2, 2));
    }
}
