using Azure.Storage.Blobs;
using RftFunctions.Model;
using RftFunctions.Testing;
using RftFunctions.Training.Checkpoints;
using RftFunctions.Training.Config;
using RftFunctions.Training.Trainer;
using Xunit;
using static TorchSharp.torch;

[assembly: AssemblyFixture(typeof(StorageFixture))]

namespace RftFunctions.Training.Tests.Checkpoints;

public sealed class TrainerStateStoreTests(StorageFixture storage)
{
    private static readonly TinyModelSize Size = new(HiddenSize: 32, IntermediateSize: 64, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 8, VocabSize: ByteTokenizer.VocabSize);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RftTrainingConfig Config(FineTuningMode mode) => new()
    {
        Seed = 9,
        SamplesPerPrompt = 4,
        PromptsPerStep = 2,
        MaxCompletionTokens = 8,
        Mode = mode,
        LoraRank = 4,
        LoraAlpha = 8,
        LearningRate = 5e-3,
    };

    /// <summary>Rollouts whose sampling seed is f(step), rewarded by the share of lower-case letters.</summary>
    private static List<RolloutSample> Rollouts(DecoderModel model, int step)
    {
        var tokenizer = new ByteTokenizer();
        var generator = new TextGenerator(model, tokenizer);
        var requests = Enumerable.Range(0, 2).Select(p => new GenerationRequest(tokenizer.Encode($"prompt {p}:"),
            new SamplingParameters { N = 4, MaxTokens = 8, Seed = (step * 100) + p, StopAtEos = false })).ToList();
        return [.. generator.Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex)
            .Select(s => new RolloutSample(requests[s.RequestIndex].PromptIds, s.TokenIds, s.LogProbs, s.Text.Count(char.IsAsciiLetterLower) / 8.0, false))];
    }

    private static float[] Weights(PolicyTrainer trainer) =>
        [.. trainer.TrainableParameters.SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    private async Task<BlobContainerClient> ContainerAsync()
    {
        var container = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(storage.UniqueName("state"));
        await container.CreateIfNotExistsAsync(cancellationToken: Ct);
        return container;
    }

    [Theory]
    [InlineData(FineTuningMode.Lora)]
    [InlineData(FineTuningMode.Full)]
    public async Task Resuming_from_stored_state_reproduces_the_uninterrupted_next_step_bit_for_bit(FineTuningMode mode)
    {
        using var scope = NewDisposeScope();
        var baseDir = Directory.CreateTempSubdirectory("rft-state-base-").FullName;
        TinyModelFactory.CreateFolder(baseDir, ModelArchitecture.Qwen3, seed: 4, Size);
        var container = await ContainerAsync();
        var config = Config(mode);

        // Uninterrupted: steps 0 and 1 in one process, state stored after step 0.
        var model = ModelFolder.Load(baseDir);
        using var trainer = new PolicyTrainer(model, config, totalSteps: 4);
        trainer.Update(Rollouts(model, 0), 0);
        await TrainerStateStore.SaveAsync(container, "job/steps/0/state", model, trainer, mode, new TrainerStateManifest
        {
            JobId = "job",
            CompletedSteps = 1,
            Seed = config.Seed,
            DataPosition = 1,
            PolicyFormat = "",
        }, Ct);
        var uninterrupted = trainer.Update(Rollouts(model, 1), 1);
        var uninterruptedWeights = Weights(trainer);

        // Resumed: a fresh model and trainer from the stored state.
        var manifest = await TrainerStateStore.ReadManifestAsync(container, "job/steps/0/state", Ct);
        Assert.NotNull(manifest);
        Assert.Equal(1, manifest.DataPosition);
        Assert.Equal(mode == FineTuningMode.Lora ? TrainerStateManifest.LoraFormat : TrainerStateManifest.FullFormat, manifest.PolicyFormat);
        var resumedModel = await TrainerStateStore.LoadPolicyAsync(container, "job/steps/0/state", manifest, baseDir, Ct);
        using var resumedTrainer = new PolicyTrainer(resumedModel, config, totalSteps: 4);
        await TrainerStateStore.LoadOptimizerAsync(container, "job/steps/0/state", resumedTrainer, Ct);
        var resumed = resumedTrainer.Update(Rollouts(resumedModel, 1), 1);

        Assert.False(uninterrupted.Skipped);
        Assert.True(uninterrupted.GradNorm > 0);
        Assert.Equal(uninterrupted, resumed);
        Assert.Equal(uninterruptedWeights, Weights(resumedTrainer));

        // Without the optimiser moments the next step differs: the comparison above can fail.
        var coldModel = await TrainerStateStore.LoadPolicyAsync(container, "job/steps/0/state", manifest, baseDir, Ct);
        using var coldTrainer = new PolicyTrainer(coldModel, config, totalSteps: 4);
        coldTrainer.Update(Rollouts(coldModel, 1), 1);
        Assert.NotEqual(uninterruptedWeights, Weights(coldTrainer));
        Directory.Delete(baseDir, recursive: true);
    }

    [Fact]
    public async Task The_manifest_is_written_last_so_an_interrupted_save_leaves_no_readable_state()
    {
        using var scope = NewDisposeScope();
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 2, Size);
        using var trainer = new PolicyTrainer(model, Config(FineTuningMode.Lora), totalSteps: 2);
        var container = await ContainerAsync();
        var manifest = new TrainerStateManifest { JobId = "j", CompletedSteps = 1, Seed = 9, DataPosition = 1, PolicyFormat = "" };

        // A leased optimiser blob makes the save fail half-way: the policy is written, the manifest is not.
        var optimizer = container.GetBlobClient($"broken/{TrainerStateManifest.OptimizerFile}");
        await optimizer.UploadAsync(BinaryData.FromString("old"), Ct);
        await Azure.Storage.Blobs.Specialized.SpecializedBlobExtensions.GetBlobLeaseClient(optimizer).AcquireAsync(TimeSpan.FromSeconds(60), cancellationToken: Ct);
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
            TrainerStateStore.SaveAsync(container, "broken", model, trainer, FineTuningMode.Lora, manifest, Ct));
        Assert.True(await container.GetBlobClient("broken/policy/adapter_model.safetensors").ExistsAsync(Ct));
        Assert.Null(await TrainerStateStore.ReadManifestAsync(container, "broken", Ct));

        var written = await TrainerStateStore.SaveAsync(container, "ok", model, trainer, FineTuningMode.Lora, manifest, Ct);
        var read = await TrainerStateStore.ReadManifestAsync(container, "ok", Ct);
        Assert.NotNull(read);
        Assert.Equal(written with { PolicyFiles = [] }, read with { PolicyFiles = [] });
        Assert.Equal(["policy/adapter_config.json", "policy/adapter_model.safetensors"], read.PolicyFiles);
    }
}
