using System.Globalization;
using System.Text.Json;
using RftFunctions.Functions.Jobs;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Python;
using RftFunctions.Testing;
using RftFunctions.Training.Config;
using RftFunctions.Training.Monitors;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// The health monitors on real jobs (Rollout → Grade → PolicyUpdate on Azurite, the tiny byte model, ContinueAsNew
/// included): a python grader that pays for length is caught by <c>length_hacking</c> and, with policy pause, the job
/// pauses naming the detector and resume continues it; an honest grader's job fires nothing.
/// </summary>
public sealed class HealthMonitorJobTests(StorageFixture storage)
{
    /// <summary>Reward = characters of the answer / 48 (at most 48 tokens; a truncated answer scores 0, as any grader sees it): the textbook hackable grader that pays for length.</summary>
    private static readonly string LengthGrader = JsonSerializer.Serialize(new
    {
        type = "python",
        name = "length",
        source = "def grade(sample, item):\n    return len(sample['output_text']) / 48\n",
    });

    // Upper-case letters and digits end an answer (a random byte model then stops within a few tokens), so the policy
    // has room to learn longer answers, and length is what the grader pays for.
    private static readonly string[] Stops = [.. "BCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".Select(c => c.ToString())];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RftTrainingConfig Config(long seed, MonitorPolicy monitors) => new()
    {
        Seed = seed,
        Epochs = 1,
        PromptsPerStep = 2,
        SamplesPerPrompt = 8,
        MaxCompletionTokens = 48,
        // Full fine-tuning: the tiny model's LoRA adapters barely move its logits (see TrainingLearningTests).
        Mode = FineTuningMode.Full,
        LearningRate = 2e-2,
        WeightDecay = 0,
        EvalInterval = 4,
        EvalSamples = 2,
        StepsPerGeneration = 3,
        Monitors = monitors,
    };

    private static MonitorPolicy Policy(string json) => MonitorPolicy.Parse(JsonDocument.Parse(json).RootElement, "monitors");

    private static List<JobEventObject> MonitorEventsOf(IEnumerable<JobEventObject> events) =>
        [.. events.Where(e => e.Data is { } d && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("code", out var c) && c.GetString()!.StartsWith("monitor.", StringComparison.Ordinal))];

    [Fact]
    public async Task A_grader_that_pays_for_length_fires_length_hacking_and_with_policy_pause_the_job_pauses_until_resumed()
    {
        // The python grader runs in the sandboxed pool (bubblewrap), as in the app.
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions { Workers = 1 });
        await using var host = await TrainingTestHost.StartAsync(storage, graders: new GraderServices { Python = pool });
        var jobId = await host.CreateJobAsync("ftjob-lenhack", Config(3, Policy("""{"length_hacking":"pause"}""")), trainLines: 24, grader: LengthGrader, stop: Stops);

        var paused = await host.WaitForJobAsync(jobId, j => j.Status is JobStatus.Paused or JobStatus.Succeeded or JobStatus.Failed, seconds: 400);
        var events = await host.EventsAsync(jobId);
        var curve = string.Join(" ", events.Where(e => e.Type == "metrics").Select(e => e.Data!.Value).Select(m => (d: m.GetProperty("diagnostics"), r: m.GetProperty("scores").GetProperty("train_reward_mean").GetDouble())).Select(p =>
            string.Create(CultureInfo.InvariantCulture, $"{p.d.GetProperty("completion_length_mean").GetDouble():0.0}/{p.r:0.00}/{p.d.GetProperty("length_reward_correlation").GetDouble():0.00}")));
        Assert.True(paused.Status == JobStatus.Paused, $"{paused.Status} {paused.Error?.Message}; length/reward/correlation by step: {curve}");

        var firing = Assert.Single(MonitorEventsOf(events), e => e.Data!.Value.GetProperty("code").GetString() == "monitor.length_hacking");
        Assert.Equal("warn", firing.Level);
        var data = firing.Data!.Value;
        int step = data.GetProperty("step").GetInt32();
        Assert.Equal("pause", data.GetProperty("action").GetString());
        Assert.True(data.GetProperty("evidence").GetProperty("length_end").GetDouble() > data.GetProperty("evidence").GetProperty("length_start").GetDouble());
        var samples = data.GetProperty("samples").EnumerateArray().ToList();
        Assert.InRange(samples.Count, 1, 3);
        Assert.All(samples, s => Assert.StartsWith($"step-{step}/", s.GetProperty("id").GetString(), StringComparison.Ordinal));
        TestContext.Current.TestOutputHelper?.WriteLine($"fired at step {step}; length/reward/correlation by step: {curve}");

        // The pause comes at the end of the step after the firing (bookkeeping overlaps the next step) and names the detector.
        Assert.InRange(paused.TrainedSteps, step, step + 1);
        var pause = events.Last(e => e.Type == "message" && e.Message.StartsWith("Fine-tuning job paused by health monitor", StringComparison.Ordinal));
        Assert.Contains("length_hacking", pause.Message, StringComparison.Ordinal);

        // Resume continues as after any pause; the cooldown keeps the same pattern from pausing it again at once.
        await host.Jobs.ResumeAsync(jobId, Ct);
        var resumed = await host.WaitForJobAsync(jobId, j => j.TrainedSteps > paused.TrainedSteps || j.Status is JobStatus.Failed, seconds: 300);
        Assert.NotEqual(JobStatus.Failed, resumed.Status);
        await host.Jobs.CancelAsync(jobId, Ct);
        await host.WaitAsync(jobId, seconds: 300);
    }

    [Fact]
    public async Task A_job_with_an_honest_grader_fires_no_monitor()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        // The test host's grader: fuzzy similarity to a reference plus a string_check, both reference-based.
        var jobId = await host.CreateJobAsync("ftjob-honest", Config(5, new MonitorPolicy()), trainLines: 16, stop: Stops);

        await host.WaitAsync(jobId, seconds: 400);

        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        var events = await host.EventsAsync(jobId);
        Assert.Equal(8, events.Count(e => e.Type == "metrics"));
        var fired = MonitorEventsOf(events);
        Assert.True(fired.Count == 0, string.Join("\n", fired.Select(e => e.Message)));
    }
}
