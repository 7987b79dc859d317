namespace RftFunctions.Graders.Metrics;

/// <summary>Cosine similarity of two embeddings, clipped to [0, 1] so it is usable as a reward (opposite = unrelated).</summary>
public static class Cosine
{
    /// <summary>max(0, a·b / (|a| |b|)); 0 when either vector is zero or the lengths differ.</summary>
    public static double Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0) return 0;
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        if (na == 0 || nb == 0) return 0;
        return Math.Clamp(dot / Math.Sqrt(na * nb), 0, 1);
    }
}
