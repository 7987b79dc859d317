namespace RftFunctions.Graders.Metrics;

/// <summary>
/// Google-BLEU (GLEU) as NLTK's <c>sentence_gleu</c>: over all n-grams with 1 &lt;= n &lt;= 4 of the whitespace-split
/// tokens, matches = clipped overlap, precision = matches / hypothesis n-grams, recall = matches / reference n-grams,
/// GLEU = min(precision, recall); 0 when either side has no n-grams. Case-sensitive.
/// </summary>
public static class Gleu
{
    /// <summary>Sentence GLEU of a hypothesis against one reference.</summary>
    public static double Sentence(string hypothesis, string reference)
    {
        var hyp = TextTokenizers.SplitWhitespace(hypothesis);
        var @ref = TextTokenizers.SplitWhitespace(reference);
        long matches = 0, hypTotal = 0, refTotal = 0;
        for (var n = 1; n <= 4; n++)
        {
            hypTotal += Math.Max(0, hyp.Length - n + 1);
            refTotal += Math.Max(0, @ref.Length - n + 1);
            if (n <= hyp.Length && n <= @ref.Length) matches += NGrams.Overlap(NGrams.Count(hyp, n), NGrams.Count(@ref, n));
        }
        if (hypTotal == 0 || refTotal == 0) return 0;
        return Math.Min((double)matches / hypTotal, (double)matches / refTotal);
    }
}
