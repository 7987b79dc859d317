using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>
/// Per-token log-probabilities and entropies of given sequences (teacher forcing), both [B, L] in fp32: entry t is
/// about token t given tokens before it, entry 0 is 0. They carry gradients when the model's parameters require them.
/// </summary>
/// <param name="LogProbs">log p(token t | tokens &lt; t) under softmax(logits / temperature).</param>
/// <param name="Entropy">Entropy of the same next-token distribution at position t.</param>
public sealed record TokenScores(Tensor LogProbs, Tensor Entropy) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        LogProbs.Dispose();
        Entropy.Dispose();
    }
}

/// <summary>
/// Teacher-forced scoring for the trainer. The temperature divides the logits exactly as the sampler does, so the
/// log-probs the sampler returns for its own tokens equal the ones scored here (the GRPO importance ratio starts at 1).
/// </summary>
public static class TokenScorer
{
    /// <summary>
    /// Scores <paramref name="inputIds"/> [B, L] (prompt + completion, right- or left-padded).
    /// </summary>
    /// <param name="model">The policy.</param>
    /// <param name="inputIds">Token ids, int64.</param>
    /// <param name="attentionMask">[B, L] 1 for real tokens, 0 for padding; null when nothing is padded.</param>
    /// <param name="scoreMask">[B, L] true where a score is wanted (usually the completion tokens); other entries are
    /// 0 and cost nothing, so prompt positions never touch the vocabulary projection. Null scores every position.</param>
    /// <param name="temperature">Sampling temperature the completions were drawn with (values &lt;= 0 mean greedy and score at 1).</param>
    /// <param name="chunkRows">Positions per chunk of the vocabulary projection: peak extra memory is chunkRows × vocab × 4 bytes.</param>
    public static TokenScores Score(DecoderModel model, Tensor inputIds, Tensor? attentionMask = null, Tensor? scoreMask = null,
        double temperature = 1.0, int chunkRows = 512)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], l = inputIds.shape[1];
        var hidden = model.Forward(inputIds, attentionMask);
        var t = temperature > 0 ? temperature : 1.0;

        // Position t - 1 predicts token t.
        var h = hidden.narrow(1, 0, l - 1).reshape(b * (l - 1), -1);
        var targets = inputIds.narrow(1, 1, l - 1).reshape(-1);
        Tensor logProbs, entropy;
        if (scoreMask is null)
        {
            var stats = ChunkedTokenStatistics.apply(h, model.LmHeadWeight, targets, t, chunkRows)[0];
            (logProbs, entropy) = (stats[0], stats[1]);
        }
        else
        {
            var rows = scoreMask.narrow(1, 1, l - 1).reshape(-1).to(ScalarType.Bool).nonzero().squeeze(1);
            var stats = ChunkedTokenStatistics.apply(h.index_select(0, rows), model.LmHeadWeight, targets.index_select(0, rows), t, chunkRows)[0];
            logProbs = zeros(b * (l - 1), dtype: ScalarType.Float32, device: model.Device).index_copy(0, rows, stats[0]);
            entropy = zeros(b * (l - 1), dtype: ScalarType.Float32, device: model.Device).index_copy(0, rows, stats[1]);
        }
        var first = zeros([b, 1], dtype: ScalarType.Float32, device: model.Device);
        return new TokenScores(
            cat([first, logProbs.view(b, l - 1)], 1).MoveToOuterDisposeScope(),
            cat([first, entropy.view(b, l - 1)], 1).MoveToOuterDisposeScope());
    }
}
