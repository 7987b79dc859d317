using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace RftFunctions.Model;

/// <summary>
/// Log-probability of the target token and entropy of the next-token distribution for N positions, computed from
/// hidden states [N, H] and the LM head [V, H] a chunk of rows at a time. It is a custom autograd function so that
/// neither pass ever holds more than [chunk, V] logits: the backward recomputes each chunk's logits instead of
/// keeping the [N, V] softmax that ordinary autograd would save, which is what bounds memory for long sequences and
/// large vocabularies.
/// Gradients (z = logits / T, p = softmax z): d logp_t / dz = onehot(t) - p; d H / dz = -p (log p + H).
/// </summary>
internal sealed class ChunkedTokenStatistics : MultiTensorFunction<ChunkedTokenStatistics>
{
    public override string Name => nameof(ChunkedTokenStatistics);

    /// <summary>Arguments: hidden [N, H], weight [V, H], targets [N] int64, temperature (double), chunk rows (int).
    /// Returns one [2, N] fp32 tensor: row 0 the log-probs, row 1 the entropies.</summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var hidden = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var targets = (Tensor)vars[2];
        var temperature = (double)vars[3];
        var chunk = (int)vars[4];
        ctx.save_for_backward([hidden, weight, targets]);
        ctx.save_data("temperature", temperature);
        ctx.save_data("chunk", chunk);
        ctx.save_data("weight_grad", weight.requires_grad);
        // One stacked output, so its gradient is always defined when backward runs: TorchSharp would otherwise
        // materialise a missing gradient from a cached copy of the output that the caller's scope already freed, and
        // an undefined gradient's wrapper is never released from its live-tensor accounting.
        ctx.set_materialize_grads(false);

        var n = hidden.shape[0];
        var stats = empty([2, n], dtype: ScalarType.Float32, device: hidden.device);
        var logProbs = stats[0];
        var entropy = stats[1];
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            var rows = Math.Min(chunk, n - start);
            var z = Logits(hidden.narrow(0, start, rows), weight, temperature);
            var logp = z.log_softmax(-1);
            logProbs.narrow(0, start, rows).copy_(logp.gather(1, targets.narrow(0, start, rows).unsqueeze(1)).squeeze(1));
            entropy.narrow(0, start, rows).copy_(-(logp.exp() * logp).sum(-1));
        }
        logProbs.Dispose();
        entropy.Dispose();
        return [stats];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var saved = ctx.get_saved_variables();
        Tensor hidden = saved[0], weight = saved[1], targets = saved[2];
        var temperature = (double)ctx.get_data("temperature");
        var chunk = (int)ctx.get_data("chunk");
        var weightGrad = (bool)ctx.get_data("weight_grad");
        var grad = gradOutputs[0];
        var gradLogProbs = grad[0];
        var gradEntropy = grad[1];

        var n = hidden.shape[0];
        var gradHidden = empty_like(hidden);
        var gradWeight = weightGrad ? zeros(weight.shape, ScalarType.Float32, weight.device) : null;
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = NewDisposeScope();
            var rows = Math.Min(chunk, n - start);
            var h = hidden.narrow(0, start, rows);
            var logp = Logits(h, weight, temperature).log_softmax(-1);
            var p = logp.exp();
            var h_ = -(p * logp).sum(-1, keepdim: true);
            var gLp = gradLogProbs.narrow(0, start, rows).unsqueeze(1);
            var gH = gradEntropy.narrow(0, start, rows).unsqueeze(1);
            var gradZ = -p * gLp - gH * p * (logp + h_);
            gradZ.scatter_add_(1, targets.narrow(0, start, rows).unsqueeze(1), gLp);
            gradZ.div_(temperature);
            gradHidden.narrow(0, start, rows).copy_(matmul(gradZ.to(weight.dtype), weight));
            gradWeight?.add_(matmul(gradZ.t(), h.to(ScalarType.Float32)));
        }
        gradLogProbs.Dispose();
        gradEntropy.Dispose();
        var weightResult = gradWeight is null || gradWeight.dtype == weight.dtype ? gradWeight : gradWeight.to(weight.dtype);
        return [gradHidden, weightResult!, null!, null!, null!];
    }

    private static Tensor Logits(Tensor hidden, Tensor weight, double temperature) =>
        matmul(hidden, weight.t()).to(ScalarType.Float32).div_(temperature);
}
