using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>sub_grader_conflict</c>: over the last <see cref="Steps"/> steps one sub-grader's mean rose by ≥ <see cref="MinMove"/>
/// while another's fell by ≥ <see cref="MinMove"/> (first two steps' mean against the last two's), and at the last step
/// they are not positively correlated across samples: the policy trades one criterion for another, usually because
/// the rising one is cheaper to satisfy. Only sub-graders the multi's formula uses count (<see cref="SampleSummary.Weighs"/>):
/// a diagnostic left out of it may move as it likes.
/// </summary>
public sealed class SubGraderConflictDetector : IHealthDetector
{
    /// <summary>Steps in the window.</summary>
    public const int Steps = 4;

    /// <summary>Smallest rise of one and fall of the other.</summary>
    public const double MinMove = 0.10;

    /// <inheritdoc />
    public string Name => "sub_grader_conflict";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (Window.Last(history, Steps) is not { } w || history[^1].SubRewardMeans.Count < 2) return null;
        var names = history[^1].SubRewardMeans.Keys.Where(n => w.All(s => s.SubRewardMeans.ContainsKey(n)) && history[^1].Summary.Weighs(n))
            .Order(StringComparer.Ordinal).ToList();
        var moves = names.Select(n =>
        {
            var v = w.Select(s => s.SubRewardMeans[n]).ToList();
            return (Name: n, Move: Window.End(v) - Window.Start(v));
        }).ToList();
        if (moves.Count < 2) return null;
        var up = moves.MaxBy(m => m.Move);
        var down = moves.MinBy(m => m.Move);
        if (up.Move < MinMove || down.Move > -MinMove) return null;
        var r = history[^1].Summary.Correlation(up.Name, down.Name);
        if (r > 0) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Sub-graders move against each other: over steps {w[0].Step}-{w[^1].Step} '{up.Name}' rose {up.Move:+0.000} while '{down.Name}' fell {down.Move:0.000}. The policy may be trading one criterion for the other.");
        var evidence = new List<(string, double)> { ("rising_change", up.Move), ("falling_change", down.Move), ("min_move", MinMove), ("window_steps", Steps) };
        if (r is { } c) evidence.Add(("sample_correlation", c));
        return Window.Fire(Name, history, message, evidence, []);
    }
}
