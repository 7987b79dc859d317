namespace RftFunctions.Training.Monitors;

/// <summary>What the monitors remember between steps (carried in the orchestration's state, across ContinueAsNew).</summary>
/// <param name="History">The last <see cref="HistoryLength"/> steps, oldest first.</param>
/// <param name="LastFired">The step each detector last fired at, by name (for <see cref="HealthMonitors.CooldownSteps"/>).</param>
public sealed record MonitorState(IReadOnlyList<StepSignals> History, IReadOnlyDictionary<string, int> LastFired)
{
    /// <summary>Steps of history kept: enough for every detector's window and a peak to compare with, small enough
    /// for orchestration state.</summary>
    public const int HistoryLength = 32;

    /// <summary>No steps seen yet.</summary>
    public static MonitorState Empty { get; } = new([], new Dictionary<string, int>());
}

/// <summary>
/// Every detector, and one step of watching: append the step's signals, run each detector the policy does not turn
/// off, and keep a detector quiet for <see cref="CooldownSteps"/> steps after it fired (a pattern that persists is
/// reported once, and a job resumed after a pause is not paused again at once for the same pattern).
/// Pure and deterministic, so it runs inside the orchestration.
/// </summary>
public static class HealthMonitors
{
    /// <summary>Steps a detector stays quiet after firing.</summary>
    public const int CooldownSteps = 10;

    /// <summary>Every detector, in report order.</summary>
    public static IReadOnlyList<IHealthDetector> All { get; } =
    [
        new LengthHackingDetector(),
        new GeneralizationGapDetector(),
        new SubGraderDominanceDetector(),
        new SubGraderConflictDetector(),
        new GraderDirectedTextDetector(),
        new EntropyCollapseDetector(),
        new KlBlowupDetector(),
        new ClipRatioSpikeDetector(),
        new NoLearningSignalDetector(),
        new RewardSaturationDetector(),
        new ModeCollapseDetector(),
        new GraderErrorsDetector(),
    ];

    /// <summary>Every detector's name.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(d => d.Name)];

    /// <summary>Adds <paramref name="step"/> to <paramref name="state"/> and returns the new state and the firings at it
    /// (each with the action the policy gives its detector).</summary>
    public static (MonitorState State, IReadOnlyList<MonitorFiring> Firings) Observe(MonitorState state, StepSignals step, MonitorPolicy policy)
    {
        var history = state.History.Where(s => s.Step < step.Step).Append(step).TakeLast(MonitorState.HistoryLength).ToList();
        var lastFired = new Dictionary<string, int>(state.LastFired, StringComparer.Ordinal);
        var firings = new List<MonitorFiring>();
        foreach (var detector in All)
        {
            var action = policy.ActionOf(detector.Name);
            if (action == MonitorAction.Off) continue;
            if (lastFired.TryGetValue(detector.Name, out var last) && step.Step - last < CooldownSteps && step.Step > last) continue;
            if (detector.Detect(history) is not { } firing) continue;
            lastFired[detector.Name] = step.Step;
            firings.Add(firing with { Action = action });
        }
        return (new MonitorState(history, lastFired), firings);
    }
}
