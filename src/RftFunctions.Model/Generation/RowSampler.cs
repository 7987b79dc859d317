using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>
/// Picks the next token of every row from its logits, each row with its own temperature, top-k, top-p, min-p and
/// random stream. Filtering works on the probabilities sorted once per step; the draw is an inverse-CDF lookup
/// (searchsorted) with one uniform number per row from a SplitMix64 stream seeded by (request seed, sample index),
/// so results are reproducible and independent of the batch a row shares.
/// </summary>
internal sealed class RowSampler : IDisposable
{
    private readonly Tensor _temperature;
    private readonly Tensor _topK;
    private readonly Tensor _topP;
    private readonly Tensor _minP;
    private readonly Tensor _greedy;
    private readonly bool _allGreedy;
    private readonly bool _anyGreedy;
    private readonly bool _filter;
    private readonly ulong[] _streams;

    public RowSampler(IReadOnlyList<(SamplingParameters Parameters, int SampleIndex)> rows, Device device)
    {
        var ps = rows.Select(r => r.Parameters).ToList();
        _temperature = Column(ps.Select(p => p.Temperature > 0 ? p.Temperature : 1.0), device);
        _topK = tensor(ps.Select(p => (long)p.TopK).ToArray(), [ps.Count, 1], device: device).DetachFromDisposeScope();
        _topP = Column(ps.Select(p => p.TopP), device);
        _minP = Column(ps.Select(p => p.MinP), device);
        _greedy = tensor(ps.Select(p => p.Temperature == 0).ToArray(), [ps.Count, 1], device: device).DetachFromDisposeScope();
        _allGreedy = ps.All(p => p.Temperature == 0);
        _anyGreedy = ps.Any(p => p.Temperature == 0);
        _filter = ps.Any(p => p.Temperature > 0 && (p.TopK > 0 || p.TopP < 1 || p.MinP > 0));
        _streams = [.. rows.Select(r => SeedStream((ulong)r.Parameters.Seed, (ulong)r.SampleIndex))];
    }

    /// <summary>Samples one token per row from fp32 logits [R, V]; returns the ids and their log-probs at the row's temperature.</summary>
    public (int[] Tokens, float[] LogProbs) Sample(Tensor logits)
    {
        using var scope = NewDisposeScope();
        var logp = (logits / _temperature).log_softmax(-1);
        var draws = _streams.Select((_, i) => NextUniform(ref _streams[i])).ToArray();
        Tensor choice;
        if (_allGreedy)
        {
            choice = logits.argmax(-1, keepdim: true);
        }
        else
        {
            var probs = logp.exp();
            Tensor? order = null;
            if (_filter)
            {
                var (sorted, indices) = probs.sort(-1, descending: true);
                var vocab = logits.shape[1];
                var rank = arange(vocab, device: logits.device).unsqueeze(0);
                var remove = (_topK > 0).logical_and(rank >= _topK);
                remove = remove.logical_or((sorted.cumsum(-1) - sorted) >= _topP);
                remove = remove.logical_or(sorted < _minP * sorted.narrow(1, 0, 1));
                probs = sorted.masked_fill(remove, 0);
                order = indices;
            }
            var cdf = probs.cumsum(-1);
            var u = tensor(draws, device: logits.device).unsqueeze(1).to(ScalarType.Float32) * cdf.narrow(1, cdf.shape[1] - 1, 1);
            var position = searchsorted(cdf, u, right: true).clamp_max(cdf.shape[1] - 1);
            choice = order is null ? position : order.gather(1, position);
            if (_anyGreedy) choice = where(_greedy, logits.argmax(-1, keepdim: true), choice);
        }
        var chosenLogp = logp.gather(1, choice).squeeze(1);
        var tokens = choice.squeeze(1).to(ScalarType.Int32).cpu().data<int>().ToArray();
        return (tokens, chosenLogp.cpu().data<float>().ToArray());
    }

    public void Dispose()
    {
        _temperature.Dispose();
        _topK.Dispose();
        _topP.Dispose();
        _minP.Dispose();
        _greedy.Dispose();
    }

    private static Tensor Column(IEnumerable<double> values, Device device)
    {
        var array = values.Select(v => (float)v).ToArray();
        return tensor(array, [array.Length, 1], device: device).DetachFromDisposeScope();
    }

    private static ulong SeedStream(ulong seed, ulong sample)
    {
        var state = seed ^ (0x9E3779B97F4A7C15UL * (sample + 1));
        NextUniform(ref state);
        return state;
    }

    // SplitMix64: tiny, well mixed, and fully specified here, so streams never change with the runtime version.
    private static double NextUniform(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
