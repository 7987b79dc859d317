using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Triggers;
using RftFunctions.Testing;
using RftFunctions.Training.Checkpoints;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

public sealed class CheckpointEvaluationTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Manifest_events_evaluate_each_checkpoint_once_on_the_full_validation_set_and_only_the_best_three_stay()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        // 4 steps with validation and a checkpoint after each: the job keeps the best 3 of 4 as it goes.
        var jobId = await host.CreateJobAsync("ftjob-ckpteval", TrainingTestHost.Config(seed: 13, evalInterval: 1, stepsPerGeneration: 10), trainLines: 8);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await host.WaitAsync(jobId, seconds: 240)).RuntimeStatus);

        var stepMeans = (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics").Select(e => (
            Step: e.Data!.Value.GetProperty("step").GetInt32(),
            Mean: e.Data!.Value.GetProperty("scores").GetProperty("valid_reward_mean").GetDouble())).ToList();
        Assert.Equal([1, 2, 3, 4], stepMeans.Select(m => m.Step));
        var best = stepMeans.OrderByDescending(m => m.Mean).ThenByDescending(m => m.Step).Take(3).Select(m => m.Step).Order().ToList();
        var checkpoints = await host.Store.ListCheckpointsAsync(jobId, Ct);
        Assert.Equal(best, checkpoints.Select(c => c.StepNumber).Order());
        var dropped = Enumerable.Range(1, 4).Except(best).Single();
        Assert.Null(await TrainerStateStore.ReadManifestAsync(host.Store.Container, JobBlobs.Checkpoint(jobId, dropped), Ct));

        // The local scan finds the kept checkpoints' manifests and starts one evaluation each; a second pass and a
        // duplicate event (Event Grid is at-least-once) start nothing more.
        var scan = new CheckpointManifestScan(host.Store, host.Client, new ConfigurationBuilder().Build(), new RftFunctions.Functions.Health.LoopLiveness(), NullLogger<CheckpointManifestScan>.Instance);
        Assert.Equal(3, await scan.ScanAsync(Ct));
        Assert.Equal(0, await scan.ScanAsync(Ct));
        var ids = new List<string>();
        foreach (var checkpoint in checkpoints)
        {
            var id = CheckpointEvaluation.InstanceId(jobId, checkpoint.StepNumber);
            var started = await host.Client.GetInstanceAsync(id, cancellation: Ct);
            Assert.NotNull(started);
            var manifest = $"{JobBlobs.Checkpoint(jobId, checkpoint.StepNumber)}/{TrainerStateManifest.FileName}";
            Assert.Equal(id, await CheckpointEvaluation.StartForBlobAsync(host.Client, manifest, Ct));
            Assert.Equal(started.CreatedAt, (await host.Client.GetInstanceAsync(id, cancellation: Ct))!.CreatedAt);
            ids.Add(id);
        }
        Assert.Null(await CheckpointEvaluation.StartForBlobAsync(host.Client, $"{JobBlobs.State(jobId, 0)}/{TrainerStateManifest.FileName}", Ct));
        var outcomes = new Dictionary<int, CheckpointEvaluationOutcome>();
        foreach (var (checkpoint, id) in checkpoints.Zip(ids))
        {
            var done = await host.WaitAsync(id, seconds: 120);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.FailureDetails?.ErrorMessage}");
            outcomes[checkpoint.StepNumber] = done.ReadOutputAs<CheckpointEvaluationOutcome>()!;
            // A delivery after it finished starts nothing new.
            await CheckpointEvaluation.StartForBlobAsync(host.Client, $"{JobBlobs.Checkpoint(jobId, checkpoint.StepNumber)}/{TrainerStateManifest.FileName}", Ct);
            var again = (await host.Client.GetInstanceAsync(id, cancellation: Ct))!;
            Assert.Equal(done.CreatedAt, again.CreatedAt);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, again.RuntimeStatus);
        }

        var evaluated = await host.Store.ListCheckpointsAsync(jobId, Ct);
        Assert.Equal(best, evaluated.Select(c => c.StepNumber).Order());
        foreach (var checkpoint in evaluated)
        {
            var outcome = outcomes[checkpoint.StepNumber];
            Assert.Equal("evaluated", outcome.Status);
            Assert.True(outcome.Kept);
            Assert.Equal(outcome.RewardMean, checkpoint.Metrics["valid_reward_mean"]);
            Assert.InRange(checkpoint.Metrics["valid_reward_mean"], 0, 2);
            Assert.Equal(2 * 2, checkpoint.Metrics["valid_samples"]); // every validation item (2) x eval_samples (2)
            Assert.Equal(stepMeans.Single(m => m.Step == checkpoint.StepNumber).Mean, checkpoint.Metrics["step_valid_reward_mean"]);
            Assert.True(checkpoint.Metrics.ContainsKey("valid_hit_mean"));
            Assert.True(await host.Store.Container.GetBlobClient(JobBlobs.Rollout(jobId, checkpoint.StepNumber - 1, CheckpointEvaluation.Split, 0)).ExistsAsync(Ct));
        }
        var evaluationEvents = (await host.EventsAsync(jobId)).Where(e => e.Message.Contains("evaluated on the full validation set", StringComparison.Ordinal)).ToList();
        Assert.Equal(best, evaluationEvents.Select(e => e.Data!.Value.GetProperty("step").GetInt32()).Order());
    }

    [Fact]
    public async Task An_evaluation_recorded_mid_job_sorts_among_the_job_events_by_time_not_after_them_all()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = await host.CreateJobAsync("ftjob-evtorder", TrainingTestHost.Config(seed: 21, evalInterval: 1, stepsPerGeneration: 10), trainLines: 6);
        await host.WaitForJobAsync(jobId, j => j.TrainedSteps >= 1);
        await host.Jobs.PauseAsync(jobId, Ct);
        Assert.Equal(JobStatus.Paused, (await host.WaitForJobAsync(jobId, j => j.Status != JobStatus.Running)).Status);

        // Evaluate the checkpoints there are while the job is paused, then let it finish.
        var scan = new CheckpointManifestScan(host.Store, host.Client, new ConfigurationBuilder().Build(), new RftFunctions.Functions.Health.LoopLiveness(), NullLogger<CheckpointManifestScan>.Instance);
        var checkpoints = await host.Store.ListCheckpointsAsync(jobId, Ct);
        Assert.NotEmpty(checkpoints);
        Assert.Equal(checkpoints.Count, await scan.ScanAsync(Ct));
        foreach (var checkpoint in checkpoints)
            Assert.Equal(OrchestrationRuntimeStatus.Completed, (await host.WaitAsync(CheckpointEvaluation.InstanceId(jobId, checkpoint.StepNumber), seconds: 120)).RuntimeStatus);
        await host.Jobs.ResumeAsync(jobId, Ct);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await host.WaitAsync(jobId, seconds: 240)).RuntimeStatus);

        // Oldest first, read back through `after` pages of 3: the evaluations sit between the pause and the resume.
        var events = await host.EventsAsync(jobId);
        var messages = events.Select(e => e.Message).ToList();
        int paused = messages.IndexOf("Fine-tuning job paused"), resumed = messages.IndexOf("Fine-tuning job resumed");
        var evaluations = messages.Select((m, i) => (m, i)).Where(x => x.m.Contains("evaluated on the full validation set", StringComparison.Ordinal)).Select(x => x.i).ToList();
        Assert.Equal(checkpoints.Count, evaluations.Count);
        Assert.All(evaluations, i => Assert.InRange(i, paused + 1, resumed - 1));
        Assert.Equal(JobStatus.Succeeded, (await host.Store.GetAsync(jobId, Ct))!.Status);
        Assert.StartsWith("The job has successfully completed", events[^1].Message, StringComparison.Ordinal);
        // Ids are unique and strictly ordered: newest first in RowKey order.
        var ids = events.Select(e => e.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.OrderByDescending(i => i, StringComparer.Ordinal), ids);
    }
}
