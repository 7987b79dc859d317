namespace RftFunctions.Training.Monitors;

/// <summary>
/// What the health monitors see of one training step: the numbers of its metrics event plus the sample-level
/// summary the grading computed (<see cref="SampleSummary"/>). Small and serialisable: the orchestration carries the
/// last <see cref="MonitorState.HistoryLength"/> of them in its state, so detectors read history without storage.
/// </summary>
public sealed record StepSignals
{
    /// <summary>1-based step.</summary>
    public int Step { get; init; }

    /// <summary>Mean training reward (metrics <c>scores.train_reward_mean</c>).</summary>
    public double TrainRewardMean { get; init; }

    /// <summary>Mean validation reward when the step validated (<c>scores.valid_reward_mean</c>), else null.</summary>
    public double? ValidRewardMean { get; init; }

    /// <summary>Mean completion length in tokens (<c>diagnostics.completion_length_mean</c>).</summary>
    public double CompletionLengthMean { get; init; }

    /// <summary>Mean per-token entropy of the sampled completions (<c>diagnostics.entropy</c>).</summary>
    public double Entropy { get; init; }

    /// <summary>Per-token KL to the reference policy (<c>diagnostics.kl</c>).</summary>
    public double Kl { get; init; }

    /// <summary>Fraction of tokens whose ratio was clipped, both sides (<c>diagnostics.clip_ratio_region</c>).</summary>
    public double ClipRatio { get; init; }

    /// <summary>Fraction of groups whose rewards are all equal (<c>diagnostics.frac_reward_zero_std</c>).</summary>
    public double FractionZeroStdGroups { get; init; }

    /// <summary>Samples graded.</summary>
    public int Samples { get; init; }

    /// <summary>Samples the grader flagged with an error of any category (capped at <see cref="Samples"/>).</summary>
    public int GraderErrors { get; init; }

    /// <summary>Mean reward of each sub-grader of a <c>multi</c> grader, by name (empty for a single grader).</summary>
    public IReadOnlyDictionary<string, double> SubRewardMeans { get; init; } = new Dictionary<string, double>();

    /// <summary>Each sub-grader's type, by name (reference-based ones measure agreement with a reference).</summary>
    public IReadOnlyDictionary<string, string> SubTypes { get; init; } = new Dictionary<string, string>();

    /// <summary>Sample-level statistics of the step's training samples.</summary>
    public SampleSummary Summary { get; init; } = new();

    /// <summary>Grader error rate of the step (0 when nothing was graded).</summary>
    public double ErrorRate => Samples == 0 ? 0 : Math.Min(1.0, GraderErrors / (double)Samples);
}
