namespace RftFunctions.Graders.Metrics;

/// <summary>
/// METEOR as NLTK's <c>meteor_score</c> (alpha 0.9, beta 3, gamma 0.5) on lowercased whitespace-split words with its
/// first two matching stages, exact words then Porter stems (<see cref="PorterStemmer"/>, the published algorithm), and
/// without the WordNet-synonym stage, so no external corpus is needed; scores are at most NLTK's where synonyms would
/// match. Alignment follows NLTK: hypothesis words from last to first each take the last unmatched equal reference word.
/// P = m/|hyp|, R = m/|ref|, Fmean = P·R / (alpha·P + (1 - alpha)·R), penalty = gamma·(chunks/m)^beta,
/// score = (1 - penalty)·Fmean; 0 when nothing matches.
/// </summary>
public static class Meteor
{
    private const double Alpha = 0.9, Beta = 3.0, Gamma = 0.5;

    /// <summary>METEOR (exact and stem stages) of a hypothesis against one reference.</summary>
    public static double Sentence(string hypothesis, string reference)
    {
        var hyp = TextTokenizers.SplitWhitespace(hypothesis.ToLowerInvariant());
        var @ref = TextTokenizers.SplitWhitespace(reference.ToLowerInvariant());
        if (hyp.Length == 0 || @ref.Length == 0) return 0;

        var hypUsed = new bool[hyp.Length];
        var refUsed = new bool[@ref.Length];
        var matches = new List<(int Hyp, int Ref)>();
        // Stage 1: exact words. Stage 2: Porter stems of the words stage 1 left unmatched.
        Align(hyp, @ref, hypUsed, refUsed, matches);
        Align([.. hyp.Select(PorterStemmer.Stem)], [.. @ref.Select(PorterStemmer.Stem)], hypUsed, refUsed, matches);
        var m = matches.Count;
        if (m == 0) return 0;
        matches.Sort((a, b) => a.Hyp.CompareTo(b.Hyp));
        var chunks = 1;
        for (var k = 0; k < m - 1; k++)
            if (matches[k + 1].Hyp != matches[k].Hyp + 1 || matches[k + 1].Ref != matches[k].Ref + 1) chunks++;

        var precision = (double)m / hyp.Length;
        var recall = (double)m / @ref.Length;
        var fmean = precision * recall / (Alpha * precision + (1 - Alpha) * recall);
        var penalty = Gamma * Math.Pow((double)chunks / m, Beta);
        return (1 - penalty) * fmean;
    }

    /// <summary>NLTK's alignment: hypothesis words from last to first each take the last free equal reference word.</summary>
    private static void Align(string[] hyp, string[] @ref, bool[] hypUsed, bool[] refUsed, List<(int Hyp, int Ref)> matches)
    {
        for (var i = hyp.Length - 1; i >= 0; i--)
        {
            if (hypUsed[i]) continue;
            for (var j = @ref.Length - 1; j >= 0; j--)
            {
                if (refUsed[j] || !string.Equals(hyp[i], @ref[j], StringComparison.Ordinal)) continue;
                hypUsed[i] = refUsed[j] = true;
                matches.Add((i, j));
                break;
            }
        }
    }
}
