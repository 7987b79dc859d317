namespace RftFunctions.Graders.Metrics;

/// <summary>
/// fuzzy_match: the normalised Indel similarity of RapidFuzz's <c>fuzz.ratio</c> (divided by 100):
/// 1 - indel_distance / (|a| + |b|) = 2·LCS(a, b) / (|a| + |b|) over characters, case-sensitive; two empty strings are 1.
/// </summary>
public static class FuzzyMatch
{
    /// <summary>Similarity in [0, 1].</summary>
    public static double Ratio(string a, string b)
    {
        var total = a.Length + b.Length;
        if (total == 0) return 1;
        var lcs = Lcs(a.AsSpan(), b.AsSpan());
        return 2.0 * lcs / total;
    }

    private static int Lcs(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        if (a.Length == 0 || b.Length == 0) return 0;
        Span<int> prev = b.Length < 512 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        Span<int> cur = b.Length < 512 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        prev.Clear();
        cur.Clear();
        for (var i = 1; i <= a.Length; i++)
        {
            var ca = a[i - 1];
            for (var j = 1; j <= b.Length; j++)
                cur[j] = ca == b[j - 1] ? prev[j - 1] + 1 : Math.Max(prev[j], cur[j - 1]);
            var tmp = prev;
            prev = cur;
            cur = tmp;
        }
        return prev[b.Length];
    }
}
