namespace RftFunctions.Graders.Metrics;

/// <summary>n-gram counting shared by BLEU, GLEU and ROUGE-N.</summary>
internal static class NGrams
{
    /// <summary>Counts the n-grams of one order; keys join tokens with U+0001, which no tokenizer produces.</summary>
    public static Dictionary<string, int> Count(string[] tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i + n <= tokens.Length; i++)
        {
            var key = n == 1 ? tokens[i] : string.Join('\u0001', tokens, i, n);
            counts[key] = counts.TryGetValue(key, out var c) ? c + 1 : 1;
        }
        return counts;
    }

    /// <summary>Clipped overlap: sum over n-grams of min(count in a, count in b).</summary>
    public static int Overlap(Dictionary<string, int> a, Dictionary<string, int> b)
    {
        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        var total = 0;
        foreach (var (k, c) in small)
            if (large.TryGetValue(k, out var d)) total += Math.Min(c, d);
        return total;
    }

    /// <summary>Length of the longest common subsequence of two token sequences (two-row dynamic programme).</summary>
    public static int LongestCommonSubsequence(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        // Compare small integers in the inner loop instead of strings.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var x = Array.ConvertAll(a, t => Id(ids, t));
        var y = Array.ConvertAll(b, t => Id(ids, t));
        var prev = new int[y.Length + 1];
        var cur = new int[y.Length + 1];
        for (var i = 1; i <= x.Length; i++)
        {
            var xi = x[i - 1];
            for (var j = 1; j <= y.Length; j++)
                cur[j] = xi == y[j - 1] ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            (prev, cur) = (cur, prev);
        }
        return prev[y.Length];
    }

    private static int Id(Dictionary<string, int> ids, string token)
    {
        if (!ids.TryGetValue(token, out var id)) ids[token] = id = ids.Count;
        return id;
    }
}
