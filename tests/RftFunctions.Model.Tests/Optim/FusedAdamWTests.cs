using RftFunctions.Model.Optim;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests.Optim;

/// <summary>The fused kernel must be the same update rule as TorchSharp's (PyTorch's) AdamW, only faster.</summary>
public sealed class FusedAdamWTests
{
    private static long Live => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Fact]
    public void Five_steps_match_torchsharp_adamw_within_1e_6()
    {
        var (reference, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 4);
        var (fused, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 4);
        using var r = reference;
        using var f = fused;
        using var referenceOptimizer = optim.AdamW(r.parameters(), lr: 3e-3, beta1: 0.9, beta2: 0.98, eps: 1e-8, weight_decay: 0.05);
        using var fusedOptimizer = new FusedAdamW(f.parameters(), learningRate: 3e-3, beta1: 0.9, beta2: 0.98, eps: 1e-8, weightDecay: 0.05);
        using var ids = tensor(new long[] { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }).view(2, 6);

        for (var step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            referenceOptimizer.zero_grad();
            fusedOptimizer.ZeroGrad();
            (-TokenScorer.Score(r, ids).LogProbs.sum()).backward();
            (-TokenScorer.Score(f, ids).LogProbs.sum()).backward();
            referenceOptimizer.step();
            fusedOptimizer.Step();
        }

        var changed = 0;
        using var initial = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 4).Model;
        foreach (var ((name, expected), (_, actual), (_, start)) in r.named_parameters().Zip(f.named_parameters(), initial.named_parameters()))
        {
            var difference = (expected - actual).abs().max().item<float>();
            Assert.True(difference < 1e-6, $"{name}: max difference {difference}");
            if (!expected.allclose(start)) changed++;
        }
        Assert.Equal(r.parameters().Count(), changed);
        Assert.All(fusedOptimizer.StepCounts, s => Assert.Equal(5f, s.item<float>()));
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone_and_its_step_count_does_not_advance()
    {
        using var used = new Parameter(ones(3));
        using var unused = new Parameter(ones(3));
        using var optimizer = new FusedAdamW([used, unused], learningRate: 0.1, weightDecay: 0.0);
        using (var scope = NewDisposeScope())
        {
            (used * 2).sum().backward();
        }
        optimizer.Step();

        // Adam's first step moves every element by lr against the gradient's sign.
        Assert.True(used.allclose(full(3, 0.9f), rtol: 0, atol: 1e-6), string.Join(",", used.data<float>().ToArray()));
        Assert.True(unused.allclose(ones(3)));
        Assert.Equal(1f, optimizer.StepCounts[0].item<float>());
        Assert.Equal(0f, optimizer.StepCounts[1].item<float>());
    }

    [Fact]
    public void Twenty_steps_leave_the_live_tensor_count_unchanged()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 2);
        using var _ = model;
        using var optimizer = new FusedAdamW(model.parameters(), learningRate: 1e-3);
        using var ids = tensor(new long[] { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }).view(2, 6);
        var counts = new List<long>();
        for (var step = 0; step < 20; step++)
        {
            using (var scope = NewDisposeScope())
            {
                optimizer.ZeroGrad();
                (-TokenScorer.Score(model, ids).LogProbs.sum()).backward();
                optimizer.Step();
            }
            counts.Add(Live);
        }
        Assert.All(counts.Skip(2), c => Assert.Equal(counts[1], c));
    }

    [Fact]
    public void Mixed_dtypes_and_out_of_range_betas_are_refused()
    {
        using var a = new Parameter(ones(2));
        using var b = new Parameter(ones(2, dtype: ScalarType.BFloat16));
        Assert.Contains("one dtype", Assert.Throws<ArgumentException>(() => new FusedAdamW([a, b])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FusedAdamW([a], beta1: 1.0));
        Assert.Throws<ArgumentException>(() => new FusedAdamW([]));
    }
}
