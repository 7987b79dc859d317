namespace RftFunctions.Training.Datasets;

/// <summary>What a dataset may hold. The defaults are OpenAI's RFT limits, so a file accepted there is accepted here.</summary>
public sealed record DatasetLimits
{
    /// <summary>OpenAI's limits for a training file.</summary>
    public static DatasetLimits Training { get; } = new() { MaxLines = 50_000 };

    /// <summary>OpenAI's limits for a validation file.</summary>
    public static DatasetLimits Validation { get; } = new() { MaxLines = 1_000 };

    /// <summary>The most examples (non-empty lines).</summary>
    public int MaxLines { get; init; } = 50_000;

    /// <summary>The largest single line in bytes (a prompt plus its grading fields).</summary>
    public int MaxLineBytes { get; init; } = 1 << 20;

    /// <summary>The largest file in bytes.</summary>
    public long MaxFileBytes { get; init; } = 512L << 20;
}
