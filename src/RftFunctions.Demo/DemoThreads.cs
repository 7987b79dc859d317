namespace RftFunctions.Demo;

/// <summary>
/// How many CPU threads TorchSharp uses in the demo's process (base-model build, rollouts, policy updates, answers):
/// one unless <c>--threads N</c>. The demos' models are tiny, so a second thread buys little, while on a busy machine
/// each of a step's many small kernels waits for a descheduled sibling thread (measured on a shared 2-core machine:
/// the compliance base model's warm-up took ~1.9 s per step with 2 threads, ~0.05 s with 1). One thread also makes a
/// seed's numbers independent of the machine's core count.
/// </summary>
public static class DemoThreads
{
    /// <summary>The default thread count.</summary>
    public const int Default = 1;

    /// <summary>The most threads one may ask for.</summary>
    public const int Max = 256;

    /// <summary>Removes <c>--threads N</c> from <paramref name="args"/>; returns the rest and the count.</summary>
    public static (string[] Remaining, int Threads) Take(string[] args)
    {
        int i = Array.IndexOf(args, "--threads");
        if (i < 0) return (args, Default);
        if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var n) || n < 1 || n > Max)
            throw new ArgumentException($"option --threads needs an integer from 1 to {Max}");
        return ([.. args[..i], .. args[(i + 2)..]], n);
    }
}
