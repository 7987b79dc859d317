using System.Text.Json;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Testing;
using RftFunctions.Training.Monitors;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// <c>method.reinforcement.trainer.monitors</c> through the real API: an unknown detector or action is a 400 naming the
/// exact field, and a good policy becomes the job config's <see cref="MonitorPolicy"/>.
/// </summary>
public sealed class MonitorPolicyApiTests(StorageFixture storage)
{
    private const string Grader = """{"type":"string_check","name":"g","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""";

    private static string Body(string monitors) =>
        "{\"model\":\"tiny\",\"training_file\":\"file-x\",\"validation_file\":\"file-y\",\"method\":{\"type\":\"reinforcement\",\"reinforcement\":{\"grader\":"
        + Grader + ",\"trainer\":{\"monitors\":" + monitors + "}}}}";

    [Theory]
    [InlineData("""{"length_hackin":"pause"}""", "method.reinforcement.trainer.monitors.length_hackin", "Unknown monitor 'length_hackin'")]
    [InlineData("""{"kl_blowup":"stop"}""", "method.reinforcement.trainer.monitors.kl_blowup", "must be \"off\", \"warn\" or \"pause\"")]
    [InlineData("""{"kl_blowup":{"a":{"b":1}}}""", "method.reinforcement.trainer.monitors.kl_blowup", "must be \"off\", \"warn\" or \"pause\"")]
    [InlineData("\"pause\"", "method.reinforcement.trainer.monitors", "must be an object")]
    public async Task A_bad_monitor_policy_is_a_400_naming_the_field(string monitors, string param, string text)
    {
        await using var server = await JobsApiServer.StartAsync(storage);
        using var client = await server.ClientAsync("monitors");
        var error = await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/jobs", Body(monitors)), 400, param);
        Assert.Equal("invalid_value", error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(text, message, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_policy_sets_the_config_and_unnamed_detectors_warn()
    {
        using var body = JsonDocument.Parse(Body("""{"length_hacking":"pause","mode_collapse":"off"}"""));
        var request = FineTuningJobRequest.Parse(body.RootElement);
        var config = request.Resolve(FineTuningJobCreator.Baseline, trainingExamples: 8);

        Assert.Equal(MonitorAction.Pause, config.Monitors.ActionOf("length_hacking"));
        Assert.Equal(MonitorAction.Off, config.Monitors.ActionOf("mode_collapse"));
        Assert.Equal(MonitorAction.Warn, config.Monitors.ActionOf("kl_blowup"));
        Assert.Equal(MonitorAction.Warn, FineTuningJobCreator.Baseline.Monitors.ActionOf("length_hacking"));
    }
}
