using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

/// <summary>Native tensors are invisible to the GC: every step must give back all it allocates.</summary>
public sealed class TensorLeakTests
{
    private static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Fact]
    public void The_live_tensor_count_is_stable_across_100_decode_steps()
    {
        var (model, tokenizer) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 1);
        using var _ = model;
        var generator = new TextGenerator(model, tokenizer);
        var p = new SamplingParameters { Temperature = 0.9, TopP = 0.95, MaxTokens = 100, Seed = 3, StopAtEos = false };
        var perStep = new List<long>();
        var before = Live;

        var samples = generator.Generate([new GenerationRequest([1, 2, 3], p), new GenerationRequest([4, 5], p)],
            t => { if (t.RequestIndex == 0) perStep.Add(Live); });

        Assert.Equal(100, samples[0].TokenIds.Count);
        Assert.Equal(100, perStep.Count);
        Assert.All(perStep.Skip(1), count => Assert.Equal(perStep[1], count));
        Assert.Equal(before, Live);
    }

    [Fact]
    public void The_live_tensor_count_is_stable_across_20_training_steps()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 2);
        using var _ = model;
        Lora.Attach(model, new LoraConfig(4, 8, 0.1, ["q_proj", "v_proj", "up_proj"]), seed: 5);
        model.train();
        using var optimizer = optim.AdamW(model.TrainableParameters(), lr: 1e-3, weight_decay: 0.01);
        using var ids = tensor(new long[] { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }).view(2, 6);
        var counts = new List<long>();
        var losses = new List<float>();

        for (var step = 0; step < 20; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.zero_grad();
                using var scores = TokenScorer.Score(model, ids, chunkRows: 4);
                var loss = -scores.LogProbs.sum() / 10;
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }
            counts.Add(Live);
        }

        Assert.All(counts.Skip(2), c => Assert.Equal(counts[1], c));
        Assert.True(losses[^1] < losses[0], "training on a fixed batch must lower its loss");
    }
}
