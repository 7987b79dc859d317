namespace RftFunctions.Training.Datasets;

/// <summary>
/// SplitMix64: a tiny, fast generator whose sequence is fixed by its seed forever (System.Random's algorithm is an
/// implementation detail that may change between .NET versions; a resumed job must draw the same numbers).
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator for a sub-stream, e.g. (job seed, epoch): independent streams from one seed.</summary>
    public static SeededRandom For(long seed, params long[] stream)
    {
        ulong state = unchecked((ulong)seed);
        foreach (var s in stream) state = Mix(state ^ Mix(unchecked((ulong)s) + 0x9E3779B97F4A7C15UL));
        return new SeededRandom(state);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>A uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exclusiveMax);
        ulong bound = (ulong)exclusiveMax, threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong r = NextUInt64();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    /// <summary>A uniform double in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
