namespace RftFunctions.Training.Monitors;

/// <summary>
/// A training-health or reward-hacking rule: a pure, deterministic function of the step history (no clock, no
/// randomness), so the orchestration can run it on replay and get the same answer.
/// </summary>
public interface IHealthDetector
{
    /// <summary>The name the policy and the event code use (<c>monitor.NAME</c>).</summary>
    string Name { get; }

    /// <summary>The firing at the last step of <paramref name="history"/> (oldest first), or null.</summary>
    MonitorFiring? Detect(IReadOnlyList<StepSignals> history);
}
