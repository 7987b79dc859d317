using RftFunctions.Functions.Jobs;
using RftFunctions.Testing;
using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

public sealed class TrainingBudgetTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_pauses_itself_when_its_token_budget_is_used_up_and_resume_continues_under_the_same_or_a_raised_budget()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        // Every step trains on more than one token, so a one-token budget is used up by each step.
        var config = TrainingTestHost.Config(seed: 17, evalInterval: 10, stepsPerGeneration: 10) with { Budget = new ComputeBudget(MaxTokens: 1) };
        var jobId = await host.CreateJobAsync("ftjob-budget", config, trainLines: 8);

        var paused = await host.WaitForJobAsync(jobId, j => j.Status == JobStatus.Paused, seconds: 300);
        Assert.Equal(1, paused.TrainedSteps);
        // The status row is written just before its message event.
        var reason = await WaitForEventAsync(host, jobId, "Compute budget reached after step 1");
        Assert.Equal("message", reason.Type);
        Assert.Contains("trained tokens of 1 allowed", reason.Message, StringComparison.Ordinal);
        Assert.Equal(1, (await host.EventsAsync(jobId)).Count(e => e.Type == "metrics"));

        // A plain resume grants one more allowance of the same size: one more step, then paused again.
        await host.Jobs.ResumeAsync(jobId, Ct);
        var again = await host.WaitForJobAsync(jobId, j => j.Status == JobStatus.Paused && j.TrainedSteps == 2, seconds: 300);
        Assert.Equal(2, again.TrainedSteps);

        await Assert.ThrowsAsync<ArgumentException>(() => host.Jobs.ResumeAsync(jobId, new ComputeBudget(MaxTokens: -5), Ct));
        await host.Jobs.ResumeAsync(jobId, new ComputeBudget(MaxTokens: 1_000_000), Ct);
        await host.WaitAsync(jobId, seconds: 300);

        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        var events = await host.EventsAsync(jobId);
        Assert.Equal([1, 2, 3, 4], events.Where(e => e.Type == "metrics").Select(e => e.Data!.Value.GetProperty("step").GetInt32()));
        var messages = events.Where(e => e.Type == "message").Select(e => e.Message).ToList();
        Assert.Equal(2, messages.Count(m => m.StartsWith("Compute budget reached", StringComparison.Ordinal)));
        Assert.Contains("Fine-tuning job resumed with a new compute budget", messages);
        Assert.True(job.TrainedTokens > 1);
    }

    private static async Task<JobEventObject> WaitForEventAsync(TrainingTestHost host, string jobId, string text)
    {
        for (int attempt = 0; ; attempt++)
        {
            var found = (await host.EventsAsync(jobId)).FirstOrDefault(e => e.Message.Contains(text, StringComparison.Ordinal));
            if (found is not null) return found;
            if (attempt > 100) throw new TimeoutException($"no event saying '{text}'");
            await Task.Delay(100, Ct);
        }
    }
}
