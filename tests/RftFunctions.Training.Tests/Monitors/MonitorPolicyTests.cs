using System.Text.Json;
using RftFunctions.Training.Monitors;
using Xunit;

namespace RftFunctions.Training.Tests.Monitors;

public sealed class MonitorPolicyTests
{
    private static MonitorPolicy Parse(string json) => MonitorPolicy.Parse(JsonDocument.Parse(json).RootElement, "method.reinforcement.trainer.monitors");

    [Fact]
    public void Every_detector_warns_unless_the_policy_says_otherwise()
    {
        var policy = Parse("""{"length_hacking":"pause","mode_collapse":"off"}""");
        Assert.Equal(MonitorAction.Pause, policy.ActionOf("length_hacking"));
        Assert.Equal(MonitorAction.Off, policy.ActionOf("mode_collapse"));
        Assert.All(HealthMonitors.Names.Except(["length_hacking", "mode_collapse"]), n => Assert.Equal(MonitorAction.Warn, policy.ActionOf(n)));
    }

    [Theory]
    [InlineData("""{"length_hackin":"warn"}""", "method.reinforcement.trainer.monitors.length_hackin", "Unknown monitor")]
    [InlineData("""{"kl_blowup":"stop"}""", "method.reinforcement.trainer.monitors.kl_blowup", "\"off\", \"warn\" or \"pause\"")]
    [InlineData("""{"kl_blowup":1}""", "method.reinforcement.trainer.monitors.kl_blowup", "not 1")]
    [InlineData("""["kl_blowup"]""", "method.reinforcement.trainer.monitors", "must be an object")]
    public void A_bad_policy_names_the_field(string json, string field, string text)
    {
        var e = Assert.Throws<ArgumentException>(() => Parse(json));
        Assert.Equal(field, e.ParamName);
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Round_trips_as_the_request_object()
    {
        var policy = Parse("""{"grader_errors":"pause","kl_blowup":"off"}""");
        var json = JsonSerializer.Serialize(policy);
        Assert.Equal("""{"grader_errors":"pause","kl_blowup":"off"}""", json);
        Assert.Equal(policy, JsonSerializer.Deserialize<MonitorPolicy>(json));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<MonitorPolicy>("""{"nope":"warn"}"""));
    }
}
