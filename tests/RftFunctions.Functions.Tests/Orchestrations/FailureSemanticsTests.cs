using System.Collections.Concurrent;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// Failures end jobs with their reason and retry only as the retry policy says: an activity that always throws fails
/// the job after its last attempt, an exception in the orchestration itself fails the job and the instance, and
/// nothing retries forever.
/// </summary>
public sealed class FailureSemanticsTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Attempts per (job, shard) of <see cref="BrokenRollout"/>.</summary>
    private static readonly ConcurrentDictionary<string, int> Attempts = new();

    [Fact]
    public async Task An_activity_that_always_throws_fails_the_job_with_its_reason_after_the_retry_policys_attempts()
    {
        await using var host = await TrainingTestHost.StartAsync(storage, faults: c => c.ReplaceActivity(RftOrchestrations.RolloutAndGrade, _ => new BrokenRollout()));
        var jobId = await host.CreateJobAsync("ftjob-broken-rollout", TrainingTestHost.Config(seed: 5), trainLines: 4);

        var done = await host.WaitAsync(jobId, seconds: 120);

        // The orchestration handled the failure: the instance completed, the job failed with the activity's reason.
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("training_error", job.Error?.Code);
        Assert.Contains("the sampler broke", job.Error?.Message, StringComparison.Ordinal);
        var events = await host.EventsAsync(jobId);
        Assert.Contains(events, e => e.Level == "error" && e.Message.Contains("Step 1 failed: System.InvalidOperationException: the sampler broke", StringComparison.Ordinal));
        // RftOrchestrations.Retry: three attempts per shard (two shards in step 1), then no more.
        Assert.Equal(new Dictionary<string, int> { [$"{jobId}/0"] = 3, [$"{jobId}/1"] = 3 }, Attempts.Where(a => a.Key.StartsWith(jobId, StringComparison.Ordinal)).ToDictionary());
    }

    [Fact]
    public async Task An_exception_in_the_orchestration_fails_the_job_with_the_message_in_its_events_and_fails_the_instance()
    {
        // A plan the orchestrator cannot run (zero prompts per rollout shard): its own code throws, no activity does.
        await using var host = await TrainingTestHost.StartAsync(storage, faults: c => c.ReplaceActivity(RftOrchestrations.ValidateJob,
            sp => new UnrunnablePlan(ActivatorUtilities.CreateInstance<ValidateJobActivity>(sp))));
        var jobId = await host.CreateJobAsync("ftjob-orchestration-fault", TrainingTestHost.Config(seed: 5), trainLines: 4);

        var done = await host.WaitAsync(jobId, seconds: 120);

        Assert.Equal(OrchestrationRuntimeStatus.Failed, done.RuntimeStatus);
        Assert.True(done.FailureDetails?.ErrorType?.Contains("ArgumentOutOfRangeException", StringComparison.Ordinal) == true,
            $"{done.FailureDetails?.ErrorType}: {done.FailureDetails?.ErrorMessage}; output {done.SerializedOutput}");
        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Equal("orchestration_error", job.Error?.Code);
        var events = await host.EventsAsync(jobId);
        Assert.Contains(events, e => e.Level == "error" && e.Message.Contains("failed in the orchestration: System.ArgumentOutOfRangeException", StringComparison.Ordinal));
        // Failed for good: a while later it is still failed and no step ever ran.
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await host.Client.GetInstanceAsync(jobId, cancellation: Ct))!.RuntimeStatus);
        Assert.Equal(0, (await host.Store.GetAsync(jobId, Ct))!.TrainedSteps);
    }

    private sealed class BrokenRollout : TaskActivity<RolloutInput, GradedShard>
    {
        public override Task<GradedShard> RunAsync(TaskActivityContext context, RolloutInput input)
        {
            Attempts.AddOrUpdate($"{input.JobId}/{input.Shard}", 1, (_, n) => n + 1);
            throw new InvalidOperationException("the sampler broke");
        }
    }

    private sealed class UnrunnablePlan(ValidateJobActivity inner) : TaskActivity<string, JobPlan>
    {
        public override async Task<JobPlan> RunAsync(TaskActivityContext context, string jobId) =>
            (await inner.RunAsync(context, jobId)) with { RolloutShardPrompts = 0 };
    }
}
