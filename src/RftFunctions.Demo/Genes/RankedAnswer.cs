namespace RftFunctions.Demo.Genes;

/// <summary>Reads the demo's answer format (<c>GENE1, GENE2, GENE3 | why</c>) and scores it as the ranked-list
/// grader does (reciprocal rank), so the base-model build and the report can measure Top-k without a grader round trip.</summary>
public static class RankedAnswer
{
    /// <summary>The ranked gene symbols of an answer, duplicates dropped.</summary>
    public static IReadOnlyList<string> Genes(string answer)
    {
        // A reasoned answer ("absent rules out A B: C, A, B | why") ranks after its colon, as the ranked-list grader reads it.
        int colon = answer.IndexOf(':', StringComparison.Ordinal);
        int bar = answer.IndexOf('|', StringComparison.Ordinal);
        var list = (colon >= 0 && (bar < 0 || colon < bar) ? answer[(colon + 1)..] : answer).Split('|')[0];
        return [.. list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>1-based rank of <paramref name="gene"/> in the answer, 0 when absent.</summary>
    public static int RankOf(string answer, string gene)
    {
        var genes = Genes(answer);
        for (int i = 0; i < genes.Count; i++)
            if (string.Equals(genes[i], gene, StringComparison.OrdinalIgnoreCase)) return i + 1;
        return 0;
    }

    /// <summary>The explanation after the bar, or empty.</summary>
    public static string Explanation(string answer)
    {
        int bar = answer.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 ? "" : answer[(bar + 1)..].Trim();
    }
}
