using System.Globalization;
using RftFunctions.Training.Monitors;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>A monitor firing with the sequence of the event that records it.</summary>
public sealed record SequencedFiring(long Sequence, MonitorFiring Firing);

/// <summary>
/// The health monitors of one running job, inside the orchestration: each step's bookkeeping turns the step's activity
/// results into <see cref="StepSignals"/>, runs <see cref="HealthMonitors.Observe"/> over the remembered history and
/// hands the firings to RecordMetrics (which records each once per detector and step). Replay-safe: every input comes
/// from activity results or the orchestration's state, and the bookkeepings run one at a time in step order.
/// A firing whose policy is pause leaves a pause request that the orchestration honours between steps.
/// </summary>
internal sealed class JobMonitors(MonitorState state, MonitorPolicy policy)
{
    private readonly List<MonitorFiring> _pauses = [];

    /// <summary>The history and cooldowns to carry across ContinueAsNew.</summary>
    public MonitorState State { get; private set; } = state;

    /// <summary>True when a firing asked to pause and the pause has not been taken.</summary>
    public bool PauseRequested => _pauses.Count > 0;

    /// <summary>Watches one finished step (1-based <paramref name="step"/>); returns its firings.</summary>
    public IReadOnlyList<MonitorFiring> Watch(int step, GradeTotals train, PolicyUpdateMetrics update, ValidationResult? validation)
    {
        // A skipped update (non-finite loss) has no trainer numbers worth comparing; its step is left out.
        if (update.Skipped) return [];
        var (next, firings) = HealthMonitors.Observe(State, Signals(step, train, update, validation), policy);
        State = next;
        _pauses.AddRange(firings.Where(f => f.Action == MonitorAction.Pause));
        return firings;
    }

    /// <summary>The pause message naming the detectors that asked for it, and forgets the request.</summary>
    public string TakePauseMessage()
    {
        var named = string.Join("; ", _pauses.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Detector} at step {f.Step}")));
        _pauses.Clear();
        return $"Fine-tuning job paused by health monitor ({named}; policy pause, see the job's warn events). Resume continues it, cancel stops it";
    }

    /// <summary>What the monitors see of a step.</summary>
    internal static StepSignals Signals(int step, GradeTotals train, PolicyUpdateMetrics update, ValidationResult? validation) => new()
    {
        Step = step,
        TrainRewardMean = train.RewardMean,
        ValidRewardMean = validation?.RewardMean,
        CompletionLengthMean = update.CompletionLengthMean,
        Entropy = update.Entropy,
        Kl = update.Kl,
        ClipRatio = update.ClipRatioLow + update.ClipRatioHigh,
        FractionZeroStdGroups = update.FractionZeroStdGroups,
        Samples = train.Count,
        GraderErrors = Math.Min(train.Count, train.ErrorCounts.Values.Sum()),
        SubRewardMeans = train.SubRewardMeans,
        SubTypes = train.SubTypes,
        Summary = train.Summary,
    };
}
