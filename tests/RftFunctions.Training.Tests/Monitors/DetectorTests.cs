using RftFunctions.Training.Monitors;
using Xunit;

namespace RftFunctions.Training.Tests.Monitors;

/// <summary>Each detector fires on its pattern and stays quiet on a healthy run of the same length.</summary>
public sealed class DetectorTests
{
    public static TheoryData<string> Detectors => [.. HealthMonitors.Names];

    private static IHealthDetector Detector(string name) => HealthMonitors.All.Single(d => d.Name == name);

    /// <summary>The steps at which <paramref name="detector"/> fires on <paramref name="run"/>, fed step by step.</summary>
    private static List<MonitorFiring> Run(IHealthDetector detector, IReadOnlyList<StepSignals> run) =>
        [.. Enumerable.Range(1, run.Count).Select(n => detector.Detect([.. run.Take(n)])).OfType<MonitorFiring>()];

    [Theory]
    [MemberData(nameof(Detectors))]
    public void Fires_on_its_pattern_after_the_onset(string name)
    {
        var pattern = MonitorStreams.Patterns[name];
        Assert.Equal(MonitorStreams.Length, pattern.Count);
        var firings = Run(Detector(name), pattern);

        Assert.NotEmpty(firings);
        var first = firings[0];
        Assert.True(first.Step >= MonitorStreams.Onset, $"{name} fired at step {first.Step}, before the pattern began");
        Assert.Equal("monitor." + name, first.Code);
        Assert.NotEmpty(first.Evidence);
        Assert.True(first.Samples.Count <= SampleSummary.MaxExcerpts);
        Assert.False(string.IsNullOrWhiteSpace(first.Message));
    }

    [Theory]
    [MemberData(nameof(Detectors))]
    public void Stays_quiet_on_a_healthy_run_of_the_same_length(string name)
    {
        var healthy = MonitorStreams.HealthyRun();
        Assert.Equal(MonitorStreams.Patterns[name].Count, healthy.Count);

        Assert.Empty(Run(Detector(name), healthy));
    }

    [Theory]
    [MemberData(nameof(Detectors))]
    public void Only_its_own_pattern_and_no_other_detectors_pattern_is_needed_to_fire(string name)
    {
        // Guards the patterns themselves: each stream differs from the healthy one only where its detector looks,
        // so a detector that fires on every stream (a rule too loose) is caught.
        var others = MonitorStreams.Patterns.Where(p => p.Key != name && !Related(name, p.Key)).ToList();
        var loud = others.Where(p => Run(Detector(name), p.Value).Count > 0).Select(p => p.Key).ToList();
        Assert.True(loud.Count <= 1, $"{name} fires on other detectors' patterns too: {string.Join(", ", loud)}");
    }

    // Patterns that legitimately show two symptoms at once (all-equal rewards are both saturated and signal-free, a
    // collapsed mode makes groups uniform; conflict and dominance read the same sub-graders).
    private static bool Related(string a, string b) =>
        new[] { a, b }.Order(StringComparer.Ordinal).ToArray() is var p && (p[0], p[1]) is
            ("no_learning_signal", "reward_saturated") or ("mode_collapse", "no_learning_signal") or ("sub_grader_conflict", "sub_grader_dominance")
            or ("length_hacking", "sub_grader_dominance") or ("grader_directed_text", "length_hacking");

    [Fact]
    public void Grader_directed_firing_carries_the_directed_samples_as_evidence()
    {
        var firing = Run(Detector("grader_directed_text"), MonitorStreams.Patterns["grader_directed_text"])[0];
        Assert.InRange(firing.Samples.Count, 1, 3);
        Assert.All(firing.Samples, s => Assert.StartsWith("Score: 10/10", s.Excerpt, StringComparison.Ordinal));
        Assert.True(firing.Evidence["directed_fraction"] >= 0.2);
    }

    [Fact]
    public void A_diagnostic_sub_grader_the_formula_leaves_out_neither_conflicts_nor_is_dominated()
    {
        // The conflict stream, but the grading kept no moments for "format": the multi's formula does not use it.
        static StepSignals WithoutFormat(StepSignals s) => s with
        {
            Summary = s.Summary with { SubMoments = s.Summary.SubMoments.Where(p => !p.Key.Contains("format", StringComparison.Ordinal)).ToDictionary() },
        };
        Assert.Empty(Run(Detector("sub_grader_conflict"), [.. MonitorStreams.Patterns["sub_grader_conflict"].Select(WithoutFormat)]));
        Assert.Empty(Run(Detector("sub_grader_dominance"), [.. MonitorStreams.Patterns["sub_grader_dominance"].Select(WithoutFormat)]));
    }

    [Fact]
    public void Length_hacking_needs_the_reference_agreement_to_stay_flat()
    {
        // The same stream but accuracy (a string_check) improving with length: longer answers are better, not hacked.
        var honest = MonitorStreams.With(step => MonitorStreams.Patterns["length_hacking"][step - 1] is var s
            ? s with { SubRewardMeans = new Dictionary<string, double> { ["accuracy"] = 0.3 + (0.1 * (step - MonitorStreams.Onset)), ["format"] = 0 } }
            : s);
        Assert.Empty(Run(Detector("length_hacking"), honest));
    }
}
