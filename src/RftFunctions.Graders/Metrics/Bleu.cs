namespace RftFunctions.Graders.Metrics;

/// <summary>
/// BLEU as sacreBLEU computes it: 13a tokenization, case-sensitive, modified n-gram precisions for n = 1..4, brevity
/// penalty exp(1 - r/c) when the hypothesis is shorter, geometric mean. Sentence BLEU uses sacreBLEU's
/// <c>sentence_bleu</c> defaults: <c>exp</c> smoothing (the k-th order with no match gets precision 1/(2^k * total))
/// and effective order (orders the hypothesis is too short to have are left out). Scores are on [0, 1], not [0, 100].
/// </summary>
public static class Bleu
{
    private const int MaxOrder = 4;

    /// <summary>Sentence BLEU of a hypothesis against one reference.</summary>
    public static double Sentence(string hypothesis, string reference)
    {
        var stats = Statistics(TextTokenizers.Mteval13a(hypothesis), [TextTokenizers.Mteval13a(reference)]);
        return Compute(stats, effectiveOrder: true);
    }

    /// <summary>
    /// Corpus BLEU (sacreBLEU <c>corpus_bleu</c> defaults: exp smoothing, no effective order) over hypotheses and one
    /// or more reference streams (each stream holds one reference per hypothesis).
    /// </summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<IReadOnlyList<string>> referenceStreams)
    {
        var total = new long[2 + 2 * MaxOrder];
        for (var i = 0; i < hypotheses.Count; i++)
        {
            var refs = referenceStreams.Select(s => TextTokenizers.Mteval13a(s[i])).ToArray();
            var stats = Statistics(TextTokenizers.Mteval13a(hypotheses[i]), refs);
            for (var k = 0; k < total.Length; k++) total[k] += stats[k];
        }
        return Compute(total, effectiveOrder: false);
    }

    // [hypLen, refLen, correct_1..4, total_1..4]
    private static long[] Statistics(string[] hyp, string[][] refs)
    {
        var stats = new long[2 + 2 * MaxOrder];
        stats[0] = hyp.Length;
        // Closest reference length, ties to the shorter one.
        var closest = -1;
        foreach (var r in refs)
        {
            var diff = Math.Abs(hyp.Length - r.Length);
            if (closest < 0 || diff < Math.Abs(hyp.Length - closest) || (diff == Math.Abs(hyp.Length - closest) && r.Length < closest))
                closest = r.Length;
        }
        stats[1] = closest;
        for (var n = 1; n <= MaxOrder; n++)
        {
            var h = NGrams.Count(hyp, n);
            var maxRef = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var r in refs)
                foreach (var (k, c) in NGrams.Count(r, n))
                    maxRef[k] = maxRef.TryGetValue(k, out var m) ? Math.Max(m, c) : c;
            stats[1 + n] = NGrams.Overlap(h, maxRef);
            stats[1 + MaxOrder + n] = Math.Max(0, hyp.Length - n + 1);
        }
        return stats;
    }

    private static double Compute(long[] stats, bool effectiveOrder)
    {
        double sysLen = stats[0], refLen = stats[1];
        var bp = sysLen < refLen ? (sysLen > 0 ? Math.Exp(1 - refLen / sysLen) : 0) : 1.0;
        var anyCorrect = false;
        for (var n = 1; n <= MaxOrder; n++) anyCorrect |= stats[1 + n] > 0;
        if (!anyCorrect) return 0;

        var precisions = new double[MaxOrder];
        var smooth = 1.0;
        var order = MaxOrder;
        for (var n = 1; n <= MaxOrder; n++)
        {
            double correct = stats[1 + n], total = stats[1 + MaxOrder + n];
            if (total == 0) break;
            if (effectiveOrder) order = n;
            if (correct == 0)
            {
                smooth *= 2;
                precisions[n - 1] = 1.0 / (smooth * total);
            }
            else precisions[n - 1] = correct / total;
        }
        var logSum = 0.0;
        for (var n = 0; n < order; n++)
        {
            // sacreBLEU's my_log(0) is a huge negative number: a zero precision zeroes the score.
            if (precisions[n] <= 0) return 0;
            logSum += Math.Log(precisions[n]);
        }
        return bp * Math.Exp(logSum / order);
    }
}
