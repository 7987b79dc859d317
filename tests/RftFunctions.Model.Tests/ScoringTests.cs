using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

public sealed class ScoringTests
{
    [Theory]
    [InlineData(ModelArchitecture.Llama, 1.0)]
    [InlineData(ModelArchitecture.Qwen3, 0.7)]
    public void Chunked_log_probs_entropy_and_gradients_equal_the_unchunked_computation(ModelArchitecture architecture, double temperature)
    {
        var (model, _) = TinyModelFactory.Create(architecture, seed: 2);
        using var _ = model;
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 5, 80, 97, 98, 99, 10, 257, 70, 71, 72, 73, 74, 3, 9 }).view(2, 7);
        var weights = tensor(new float[] { 0, 1, -2, 0.5f, 3, 1, 1, 0, 0.25f, 1, -1, 2, 1, 1 }).view(2, 7);

        // Reference: ordinary autograd over the full [B, L, V] log-softmax.
        var logp = (model.Logits(model.Forward(ids)).to(ScalarType.Float32) / temperature).log_softmax(-1);
        var refLogProbs = logp.narrow(1, 0, 6).gather(2, ids.narrow(1, 1, 6).unsqueeze(2)).squeeze(2);
        var refEntropy = -(logp.exp() * logp).sum(-1).narrow(1, 0, 6);
        var refLoss = (refLogProbs * weights.narrow(1, 1, 6)).sum() + (refEntropy * weights.narrow(1, 0, 6)).sum() * 0.3;
        refLoss.backward();
        var refGrads = model.parameters().Select(p => p.grad!.clone()).ToList();
        model.zero_grad();

        using var scores = TokenScorer.Score(model, ids, temperature: temperature, chunkRows: 5);
        var loss = (scores.LogProbs * weights).sum() + (scores.Entropy.narrow(1, 1, 6) * weights.narrow(1, 0, 6)).sum() * 0.3;
        loss.backward();

        Assert.True(scores.LogProbs.narrow(1, 1, 6).allclose(refLogProbs, rtol: 0, atol: 1e-5));
        Assert.True(scores.Entropy.narrow(1, 1, 6).allclose(refEntropy, rtol: 0, atol: 1e-5));
        Assert.Equal(0f, scores.LogProbs[.., 0].abs().sum().item<float>());
        var grads = model.parameters().Select(p => p.grad!).ToList();
        for (var i = 0; i < grads.Count; i++)
        {
            Assert.True(grads[i].allclose(refGrads[i], rtol: 1e-4, atol: 1e-6), $"gradient {i} differs");
        }
        model.zero_grad();
    }

    [Fact]
    public void A_score_mask_scores_only_the_chosen_positions_with_the_same_values()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 4);
        using var _ = model;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }).view(2, 5);
        var completion = tensor(new[] { false, false, true, true, true, false, false, false, true, true }).view(2, 5);

        using var all = TokenScorer.Score(model, ids);
        using var masked = TokenScorer.Score(model, ids, scoreMask: completion, chunkRows: 2);

        Assert.True(masked.LogProbs.allclose(all.LogProbs * completion, rtol: 0, atol: 1e-6));
        // Entropy sums over the whole vocabulary (values near log V): the chunked and full passes reduce in a different
        // order, which on some CPUs (seen: AMD EPYC, 1.9e-6 at values ~5) moves the last few fp32 bits, so the bound is
        // relative as well.
        var diff = (masked.Entropy - all.Entropy * completion).abs().max().item<float>();
        Assert.True(masked.Entropy.allclose(all.Entropy * completion, rtol: 1e-6, atol: 1e-6), $"max entropy difference {diff}");
    }

    [Fact]
    public void Right_padding_does_not_change_the_scores_of_real_tokens()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 5);
        using var _ = model;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var alone = tensor(new long[] { 11, 12, 13 }).view(1, 3);
        var padded = tensor(new long[] { 11, 12, 13, 256, 256, 21, 22, 23, 24, 25 }).view(2, 5);
        var mask = tensor(new long[] { 1, 1, 1, 0, 0, 1, 1, 1, 1, 1 }).view(2, 5);

        using var a = TokenScorer.Score(model, alone);
        using var b = TokenScorer.Score(model, padded, mask);

        Assert.True(b.LogProbs[0].narrow(0, 0, 3).allclose(a.LogProbs[0], rtol: 0, atol: 1e-5));
    }
}
