namespace RftFunctions.Training.Monitors;

/// <summary>One firing of a detector at a step.</summary>
/// <param name="Detector">The detector's name (<c>length_hacking</c>, ...), as the policy names it.</param>
/// <param name="Step">The 1-based step whose numbers completed the pattern.</param>
/// <param name="Message">What was seen and what it likely means, for the user.</param>
/// <param name="Evidence">The numbers the rule compared, by name (window start and end values, thresholds).</param>
/// <param name="Samples">Up to three samples that show it.</param>
/// <param name="Action">What the job's policy says to do (<see cref="MonitorAction.Warn"/> or <see cref="MonitorAction.Pause"/>).</param>
public sealed record MonitorFiring(string Detector, int Step, string Message, IReadOnlyDictionary<string, double> Evidence,
    IReadOnlyList<SampleExcerpt> Samples, MonitorAction Action = MonitorAction.Warn)
{
    /// <summary>The event code: <c>monitor.</c> and the detector's name.</summary>
    public string Code => "monitor." + Detector;
}
