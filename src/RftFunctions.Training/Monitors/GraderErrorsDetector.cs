using System.Globalization;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// <c>grader_errors</c>: for two steps in a row at least <see cref="MinRate"/> of the samples got a grader error, at least
/// <see cref="MinRise"/> more than the lowest rate of the earlier steps (at least two): errors score 0, so a rising
/// error rate trains the policy on the grader's failures (a judge endpoint failing, output the grader cannot parse).
/// </summary>
public sealed class GraderErrorsDetector : IHealthDetector
{
    /// <summary>Smallest error rate.</summary>
    public const double MinRate = 0.25;

    /// <summary>Smallest rise over the lowest earlier rate.</summary>
    public const double MinRise = 0.15;

    /// <inheritdoc />
    public string Name => "grader_errors";

    /// <inheritdoc />
    public MonitorFiring? Detect(IReadOnlyList<StepSignals> history)
    {
        if (history.Count < 4) return null;
        double now = history[^1].ErrorRate, before = history[^2].ErrorRate;
        double lowest = history.SkipLast(2).Min(s => s.ErrorRate);
        if (Math.Min(now, before) < MinRate || Math.Min(now, before) - lowest < MinRise) return null;
        var message = string.Create(CultureInfo.InvariantCulture,
            $"Grader error rate rising: {now:P0} of step {history[^1].Step}'s samples got a grader error (earlier lowest {lowest:P0}). Errors score 0, so the policy learns from the grader's failures; see the metrics event's errors and the grader's endpoint or parsing.");
        return Window.Fire(Name, history, message, [("error_rate", now), ("error_rate_previous", before), ("error_rate_lowest_earlier", lowest), ("min_rate", MinRate)]);
    }
}
