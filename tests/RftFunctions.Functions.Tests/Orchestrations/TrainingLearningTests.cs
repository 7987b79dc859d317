using System.Globalization;
using RftFunctions.Functions.Jobs;
using RftFunctions.Testing;
using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// Learning through the real orchestration (Rollout → Grade → PolicyUpdate activities on Azurite, ContinueAsNew
/// included) on a task a policy gradient must solve: reward 1 when the answer contains the letter "a" (string_check
/// ilike). Upper-case letters (but A) and digits end an answer, so a random byte model finishes most answers within a
/// few tokens and rarely says "a" first: it starts near 5%.
/// </summary>
public sealed class TrainingLearningTests(StorageFixture storage)
{
    private const string ContainsA = """{"type":"string_check","name":"has_a","input":"{{ sample.output_text }}","reference":"a","operation":"ilike"}""";

    private static readonly string[] Stops = [.. "BCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".Select(c => c.ToString())];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Full fine-tuning: the tiny model's LoRA adapters cannot move its logits far enough (normal(0, 0.02) tied
    /// embeddings of width 32 bound any logit near 0.6), so "always say a" needs the embeddings themselves.
    /// </summary>
    private static RftTrainingConfig Config() => new()
    {
        Seed = 1,
        Epochs = 5,
        PromptsPerStep = 4,
        SamplesPerPrompt = 8,
        // Room to finish: a policy that says "a" a lot says the stop characters less, and a truncated answer scores 0.
        MaxCompletionTokens = 48,
        Mode = FineTuningMode.Full,
        LearningRate = 2e-2,
        Schedule = LearningRateSchedule.Cosine,
        MinLearningRateRatio = 0.5,
        WeightDecay = 0,
        EvalInterval = 30,
        EvalSamples = 4,
        StepsPerGeneration = 10,
    };

    [Fact]
    public async Task Mean_train_reward_rises_from_below_0_2_to_above_0_8_within_30_steps()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = await host.CreateJobAsync("ftjob-learn", Config(), trainLines: 24, grader: ContainsA, stop: Stops, validLines: 4);

        await host.WaitAsync(jobId, seconds: 600);

        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        var metrics = (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics").ToList();
        Assert.Equal(Enumerable.Range(1, 30), metrics.Select(e => e.Data!.Value.GetProperty("step").GetInt32()));
        var rewards = metrics.Select(e => e.Data!.Value.GetProperty("scores").GetProperty("train_reward_mean").GetDouble()).ToList();
        var curve = string.Join(" ", rewards.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)));
        Assert.True(rewards[0] < 0.2, $"the task is not hard at the start: {curve}");
        Assert.True(rewards.TakeLast(3).Average() > 0.8, $"the policy did not learn: {curve}");
        var valid = metrics[^1].Data!.Value.GetProperty("scores").GetProperty("valid_reward_mean").GetDouble();
        TestContext.Current.TestOutputHelper?.WriteLine($"train reward by step: {curve}; final valid reward {valid:0.00}");
    }
}
