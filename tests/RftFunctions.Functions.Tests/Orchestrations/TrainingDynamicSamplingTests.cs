using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Jobs;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>DAPO dynamic sampling through the real orchestration: groups without signal trigger refill rounds, the
/// refills are a pure function of the seed (two jobs with the same seed refill alike), and questionable settings are
/// warned about when the job starts.</summary>
public sealed class TrainingDynamicSamplingTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Random bytes rarely contain an 'a': most groups score all 0 (no signal), so refills are needed.
    private const string RareHit = """{"type":"string_check","name":"hit","input":"{{ sample.output_text }}","reference":"a","operation":"like"}""";

    [Fact]
    public async Task Groups_without_signal_are_refilled_deterministically_and_top_p_is_warned_about()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var config = TrainingTestHost.Config(seed: 17, evalInterval: 10, stepsPerGeneration: 10) with
        {
            DynamicSampling = true,
            DynamicSamplingMaxRounds = 2,
            TopP = 0.95,
        };
        var first = await host.CreateJobAsync("ftjob-dyn-a", config, trainLines: 4, grader: RareHit);
        var second = await host.CreateJobAsync("ftjob-dyn-b", config, trainLines: 4, grader: RareHit);

        foreach (var jobId in new[] { first, second })
        {
            var done = await host.WaitAsync(jobId, seconds: 300);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            var job = (await host.Store.GetAsync(jobId, Ct))!;
            Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        }

        async Task<List<(int Rounds, double Reward, double ZeroStd, int Samples)>> StepsOf(string jobId) =>
            [.. (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics").Select(e => (
                e.Data!.Value.GetProperty("diagnostics").GetProperty("dynamic_sampling_refill_rounds").GetInt32(),
                e.Data!.Value.GetProperty("scores").GetProperty("train_reward_mean").GetDouble(),
                e.Data!.Value.GetProperty("diagnostics").GetProperty("frac_reward_zero_std").GetDouble(),
                e.Data!.Value.GetProperty("usage").GetProperty("samples").GetInt32()))];
        var a = await StepsOf(first);
        var b = await StepsOf(second);

        Assert.Equal(2, a.Count);
        Assert.Contains(a, s => s.Rounds > 0);
        // A refill round samples more prompts: the step's samples exceed one batch (2 prompts x 4).
        Assert.All(a, s => Assert.True(s.Rounds == 0 || s.Samples > 8, $"{s.Rounds} rounds but {s.Samples} samples"));
        Assert.Contains(a, s => s.ZeroStd > 0);
        Assert.All(a, s => Assert.InRange(s.Rounds, 0, 2));
        Assert.Equal(a, b);

        var events = await host.EventsAsync(first);
        var warning = Assert.Single(events, e => e.Level == "warn" && e.Message.Contains("top_p=0.95", StringComparison.Ordinal));
        var started = Assert.Single(events, e => e.Message.StartsWith("Fine-tuning job started", StringComparison.Ordinal));
        Assert.True(events.IndexOf(started) < events.IndexOf(warning) && events.IndexOf(warning) < events.FindIndex(e => e.Type == "metrics"));
    }
}
