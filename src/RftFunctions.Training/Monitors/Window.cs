namespace RftFunctions.Training.Monitors;

/// <summary>Small helpers the detectors share: the last steps of a history and robust start/end levels.</summary>
internal static class Window
{
    /// <summary>The last <paramref name="n"/> steps, or null when the history is shorter.</summary>
    public static IReadOnlyList<StepSignals>? Last(IReadOnlyList<StepSignals> history, int n) =>
        history.Count < n ? null : [.. history.Skip(history.Count - n)];

    /// <summary>Mean of the first two values (one noisy step does not make a trend).</summary>
    public static double Start(IReadOnlyList<double> values) => values.Take(2).Average();

    /// <summary>Mean of the last two values.</summary>
    public static double End(IReadOnlyList<double> values) => values.Skip(Math.Max(0, values.Count - 2)).Average();

    /// <summary>The median (0 when empty).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>A firing with its evidence rounded for reading (6 significant digits).</summary>
    public static MonitorFiring Fire(string detector, IReadOnlyList<StepSignals> history, string message, IEnumerable<(string Name, double Value)> evidence,
        IReadOnlyList<SampleExcerpt>? samples = null) =>
        new(detector, history[^1].Step, message,
            evidence.ToDictionary(e => e.Name, e => Math.Round(e.Value, 6), StringComparer.Ordinal),
            samples ?? history[^1].Summary.Longest);
}
