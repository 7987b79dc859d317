namespace RftFunctions.Graders.Metrics;

/// <summary>
/// ROUGE F-measures as the <c>rouge-score</c> package computes them (no stemming; see
/// <see cref="TextTokenizers.Rouge"/> for tokens). ROUGE-N: overlap = clipped n-gram overlap,
/// P = overlap / max(prediction n-grams, 1), R = overlap / max(reference n-grams, 1). ROUGE-L: LCS of the token
/// sequences, P = LCS/|prediction|, R = LCS/|reference| (0 when either is empty). F = 2PR/(P+R), 0 when P+R = 0.
/// </summary>
public static class Rouge
{
    /// <summary>ROUGE-N F-measure, 1 &lt;= n &lt;= 5.</summary>
    public static double N(string prediction, string reference, int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var p = NGrams.Count(TextTokenizers.Rouge(prediction), n);
        var r = NGrams.Count(TextTokenizers.Rouge(reference), n);
        var overlap = NGrams.Overlap(p, r);
        var precision = (double)overlap / Math.Max(p.Values.Sum(), 1);
        var recall = (double)overlap / Math.Max(r.Values.Sum(), 1);
        return FMeasure(precision, recall);
    }

    /// <summary>ROUGE-L F-measure.</summary>
    public static double L(string prediction, string reference)
    {
        var p = TextTokenizers.Rouge(prediction);
        var r = TextTokenizers.Rouge(reference);
        if (p.Length == 0 || r.Length == 0) return 0;
        var lcs = NGrams.LongestCommonSubsequence(p, r);
        return FMeasure((double)lcs / p.Length, (double)lcs / r.Length);
    }

    private static double FMeasure(double precision, double recall) =>
        precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
}
