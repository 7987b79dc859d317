using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Trainer;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Training.Tests;

public sealed class PolicyTrainerTests
{
    private static readonly TinyModelSize Size = new(HiddenSize: 32, IntermediateSize: 64, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 8);

    private static RftTrainingConfig Config(FineTuningMode mode = FineTuningMode.Lora) => new()
    {
        Seed = 5,
        SamplesPerPrompt = 4,
        PromptsPerStep = 2,
        MaxCompletionTokens = 8,
        Mode = mode,
        LoraRank = 4,
        LoraAlpha = 8,
        LearningRate = 5e-3,
        GradientAccumulationSteps = 2,
    };

    /// <summary>Samples a batch from the current policy and rewards completions by their share of lowercase ASCII letters
    /// (about 10% of a random byte model's tokens, so groups carry signal from the first step).</summary>
    private static List<RolloutSample> Rollouts(DecoderModel model, ITextTokenizer tokenizer, int step, int prompts = 2, int samples = 4)
    {
        var generator = new TextGenerator(model, tokenizer);
        var requests = Enumerable.Range(0, prompts).Select(p => new GenerationRequest(
            tokenizer.Encode($"prompt {p}:"),
            new SamplingParameters { N = samples, MaxTokens = 8, Seed = (step * 100) + p, StopAtEos = false })).ToList();
        return generator.Generate(requests)
            .OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex)
            .Select(s => new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs,
                s.Text.Count(char.IsAsciiLetterLower) / 8.0, s.FinishReason == FinishReason.Length))
            .ToList();
    }

    private static float[] Snapshot(PolicyTrainer trainer) =>
        trainer.TrainableParameters.SelectMany(p => p.detach().cpu().to_type(ScalarType.Float32).data<float>().ToArray()).ToArray();

    [Fact]
    public void On_policy_first_pass_has_no_clipping_and_updates_only_lora_weights()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 3, Size);
        using var trainer = new PolicyTrainer(model, Config(), totalSteps: 10);
        var baseWeight = model.Trunk.EmbedTokens.detach().clone();
        var before = Snapshot(trainer);

        var metrics = trainer.Update(Rollouts(model, tokenizer, 0), step: 0);

        Assert.False(metrics.Skipped, metrics.SkipReason);
        Assert.Equal(0, metrics.ClipRatioLow + metrics.ClipRatioHigh);
        Assert.True(metrics.GradNorm > 0);
        Assert.NotEqual(before, Snapshot(trainer));
        Assert.True(baseWeight.Equals(model.Trunk.EmbedTokens.detach()), "the frozen base embedding changed");
    }

    [Fact]
    public void Training_on_a_reward_raises_the_reward_of_fresh_samples()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 11, Size);
        using var trainer = new PolicyTrainer(model, Config(FineTuningMode.Full) with { LearningRate = 3e-3, MaxGradNorm = 10 }, totalSteps: 40);
        double Evaluate() => Enumerable.Range(1000, 3).Average(s => Rollouts(model, tokenizer, s, prompts: 2, samples: 8).Average(r => r.Reward));

        double before = Evaluate();
        for (int step = 0; step < 25; step++)
        {
            using var stepScope = NewDisposeScope();
            trainer.Update(Rollouts(model, tokenizer, step, samples: 8), step);
        }
        double after = Evaluate();

        Assert.True(after > before + 0.1, $"reward before {before:F3}, after {after:F3}");
    }

    [Fact]
    public void A_non_finite_reward_skips_the_step_and_leaves_weights_unchanged()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 4, Size);
        using var trainer = new PolicyTrainer(model, Config(), totalSteps: 10);
        var rollouts = Rollouts(model, tokenizer, 0);
        rollouts[1] = rollouts[1] with { Reward = double.NaN };
        var before = Snapshot(trainer);

        var metrics = trainer.Update(rollouts, step: 0);

        Assert.True(metrics.Skipped);
        Assert.Contains("non-finite", metrics.SkipReason, StringComparison.Ordinal);
        Assert.Equal(before, Snapshot(trainer));
        Assert.False(trainer.Update(Rollouts(model, tokenizer, 1), step: 1).Skipped);
    }

    [Fact]
    public void A_pass_that_turns_non_finite_after_a_good_pass_undoes_the_whole_step()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 6, Size);
        // The first of two passes succeeds with an absurd learning rate; the weights it leaves overflow the second pass.
        using var trainer = new PolicyTrainer(model, Config(FineTuningMode.Full) with { IterationsPerBatch = 2, LearningRate = 1e36 }, totalSteps: 10);
        var before = Snapshot(trainer);

        var metrics = trainer.Update(Rollouts(model, tokenizer, 0), step: 0);

        Assert.True(metrics.Skipped, "the second pass was finite");
        Assert.Contains("non-finite", metrics.SkipReason, StringComparison.Ordinal);
        Assert.True(double.IsFinite(metrics.GradNorm) && double.IsFinite(metrics.Loss));
        Assert.Equal(before, Snapshot(trainer));
    }

    [Fact]
    public void An_injected_non_finite_loss_skips_only_the_chosen_step()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 7, Size);
        using var trainer = new PolicyTrainer(model, Config() with { InjectNonFiniteLossAtSteps = [1] }, totalSteps: 10);

        Assert.False(trainer.Update(Rollouts(model, tokenizer, 0), step: 0).Skipped);
        var before = Snapshot(trainer);
        var skipped = trainer.Update(Rollouts(model, tokenizer, 1), step: 1);
        Assert.True(skipped.Skipped);
        Assert.Equal(before, Snapshot(trainer));
        Assert.False(trainer.Update(Rollouts(model, tokenizer, 2), step: 2).Skipped);
    }

    [Fact]
    public void Resuming_from_saved_adapter_and_optimizer_state_reproduces_the_next_step_exactly()
    {
        using var scope = NewDisposeScope();
        var folder = Directory.CreateTempSubdirectory("rft-resume-").FullName;
        try
        {
            var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 8, Size);
            using var trainer = new PolicyTrainer(model, Config(), totalSteps: 10);
            trainer.Update(Rollouts(model, tokenizer, 0), 0);
            trainer.Update(Rollouts(model, tokenizer, 1), 1);
            Lora.Save(model, folder);
            var optimizerState = new MemoryStream();
            trainer.SaveOptimizerState(optimizerState);
            var nextBatch = Rollouts(model, tokenizer, 2);
            trainer.Update(nextBatch, 2);
            var uninterrupted = Snapshot(trainer);

            var (resumedModel, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 8, Size);
            Lora.Load(resumedModel, folder);
            using var resumed = new PolicyTrainer(resumedModel, Config(), totalSteps: 10);
            optimizerState.Position = 0;
            resumed.LoadOptimizerState(optimizerState);
            resumed.Update(nextBatch, 2);

            Assert.Equal(uninterrupted, Snapshot(resumed));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Twenty_updates_leave_no_live_tensors_behind()
    {
        using var scope = NewDisposeScope();
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 9, Size);
        using var trainer = new PolicyTrainer(model, Config(), totalSteps: 30);
        var batch = Rollouts(model, tokenizer, 0);
        trainer.Update(batch, 0); // the optimiser allocates its moment buffers on the first step
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (int step = 1; step <= 20; step++) trainer.Update(batch, step);

        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
