using System.Text.Json;
using RftFunctions.Training.Monitors;
using Xunit;

namespace RftFunctions.Training.Tests.Monitors;

public sealed class HealthMonitorsTests
{
    private static List<MonitorFiring> Watch(IReadOnlyList<StepSignals> run, MonitorPolicy policy, MonitorState? start = null)
    {
        var state = start ?? MonitorState.Empty;
        var all = new List<MonitorFiring>();
        foreach (var step in run)
        {
            (state, var firings) = HealthMonitors.Observe(state, step, policy);
            all.AddRange(firings);
        }
        return all;
    }

    [Fact]
    public void A_healthy_run_fires_nothing_with_every_detector_on()
    {
        Assert.Empty(Watch(MonitorStreams.HealthyRun(), new MonitorPolicy()));
    }

    [Fact]
    public void A_persisting_pattern_fires_once_per_cooldown_and_carries_the_policys_action()
    {
        var policy = MonitorPolicy.Parse(JsonDocument.Parse("""{"kl_blowup":"pause"}""").RootElement, "monitors");
        var firings = Watch(MonitorStreams.Patterns["kl_blowup"], policy).Where(f => f.Detector == "kl_blowup").ToList();

        var firing = Assert.Single(firings); // the pattern lasts 5 steps, inside one cooldown
        Assert.Equal(MonitorAction.Pause, firing.Action);
        Assert.Equal(MonitorStreams.Onset + 3, firing.Step);
    }

    [Fact]
    public void An_off_detector_never_fires_and_others_default_to_warn()
    {
        var off = MonitorPolicy.Parse(JsonDocument.Parse("""{"entropy_collapse":"off"}""").RootElement, "monitors");
        Assert.DoesNotContain(Watch(MonitorStreams.Patterns["entropy_collapse"], off), f => f.Detector == "entropy_collapse");
        var warn = Assert.Single(Watch(MonitorStreams.Patterns["clip_ratio_spike"], off), f => f.Detector == "clip_ratio_spike");
        Assert.Equal(MonitorAction.Warn, warn.Action);
    }

    [Fact]
    public void The_state_round_trips_through_json_and_watching_goes_on_the_same()
    {
        // The orchestration carries the state across ContinueAsNew as JSON.
        var run = MonitorStreams.Patterns["length_hacking"];
        var policy = new MonitorPolicy();
        var state = MonitorState.Empty;
        foreach (var step in run.Take(8)) state = HealthMonitors.Observe(state, step, policy).State;
        var copy = JsonSerializer.Deserialize<MonitorState>(JsonSerializer.Serialize(state))!;

        var direct = Watch(run.Skip(8).ToList(), policy, state);
        var resumed = Watch(run.Skip(8).ToList(), policy, copy);
        Assert.Equal(direct.Select(f => (f.Code, f.Step)), resumed.Select(f => (f.Code, f.Step)));
        Assert.Equal(direct.SelectMany(f => f.Evidence), resumed.SelectMany(f => f.Evidence));
    }

    [Fact]
    public void History_is_bounded()
    {
        var state = MonitorState.Empty;
        for (int step = 1; step <= 100; step++) state = HealthMonitors.Observe(state, MonitorStreams.Healthy(step), new MonitorPolicy()).State;
        Assert.Equal(MonitorState.HistoryLength, state.History.Count);
        Assert.Equal(100, state.History[^1].Step);
    }
}
