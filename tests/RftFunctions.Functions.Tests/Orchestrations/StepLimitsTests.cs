using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using RftFunctions.Training.Checkpoints;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// A job's step against the worker that runs it: a step that cannot fit the worker's memory budget fails its job with
/// a clear error while the worker goes on serving other jobs, and cancel stops a step that is running.
/// </summary>
public sealed class StepLimitsTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_step_over_the_memory_budget_fails_its_job_and_the_worker_serves_the_next_job()
    {
        // 12 MiB: a default test step (2 prompts x 4 samples x 8 tokens) needs a few MiB, 64 samples of 1000 tokens
        // need a KV cache alone of 16 MiB.
        var options = Options() with { StepMemoryBudgetBytes = 12L << 20 };
        await using var host = await TrainingTestHost.StartAsync(storage, options);
        var big = TrainingTestHost.Config(seed: 21) with { SamplesPerPrompt = 64, MaxCompletionTokens = 1000, GradientAccumulationSteps = 128 };
        var bigId = await host.CreateJobAsync("ftjob-memory-big", big, stop: []);

        var failed = await host.WaitAsync(bigId, seconds: 120);
        var job = (await host.Store.GetAsync(bigId, Ct))!;
        Assert.True(job.Status == JobStatus.Failed, $"{job.Status}: {job.Error?.Message}");
        Assert.Contains("needs an estimated", job.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("more than this worker allows a step (12 MiB)", job.Error.Message, StringComparison.Ordinal);
        Assert.Contains(await host.EventsAsync(bigId), e => e.Level == "error" && e.Message.Contains("needs an estimated", StringComparison.Ordinal));
        // Refused before sampling: nothing of the step was written.
        Assert.Empty(await BlobsAsync(host, $"{bigId}/steps/"));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, failed.RuntimeStatus);

        // The same worker trains a job that fits.
        var smallId = await host.CreateJobAsync("ftjob-memory-small", TrainingTestHost.Config(seed: 22), trainLines: 4);
        await host.WaitAsync(smallId, seconds: 300);
        var small = (await host.Store.GetAsync(smallId, Ct))!;
        Assert.True(small.Status == JobStatus.Succeeded, $"{small.Status}: {small.Error?.Message}");
    }

    [Fact]
    public async Task Cancel_stops_a_running_step_and_its_queued_work()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        // One step of 64 shards, each 64 samples of up to 1000 tokens: minutes of sampling if nothing stops it.
        var config = TrainingTestHost.Config(seed: 31) with
        {
            PromptsPerStep = 64,
            SamplesPerPrompt = 64,
            MaxCompletionTokens = 1000,
            GradientAccumulationSteps = 64 * 64,
            EvalInterval = 100,
        };
        var jobId = await host.CreateJobAsync("ftjob-cancel-running", config, trainLines: 64, stop: []);
        // The first shard is written, so the step is running (the device samples one shard at a time).
        await WaitForBlobAsync(host, JobBlobs.Rollout(jobId, 0, Split.Train, 0));

        await host.Jobs.CancelAsync(jobId, Ct);

        // Generous timeouts against hangs; the step would otherwise run for minutes.
        var job = await host.WaitForJobAsync(jobId, j => j.Status == JobStatus.Cancelled, seconds: 90);
        Assert.Equal(JobStatus.Cancelled, job.Status);
        var done = await host.WaitAsync(jobId, seconds: 90);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        // The step never reached its policy update, and most of its shards never ran.
        Assert.Null(await TrainerStateStore.ReadManifestAsync(host.Store.Container, JobBlobs.State(jobId, 0), Ct));
        var rollouts = (await BlobsAsync(host, $"{jobId}/steps/0/{Split.Train}/rollout-")).Count;
        Assert.InRange(rollouts, 1, 63);

        // The worker is free at once for another job (the cancelled step's remaining shards would hold the device
        // for minutes), and nothing of the cancelled job ran meanwhile.
        var nextId = await host.CreateJobAsync("ftjob-cancel-next", TrainingTestHost.Config(seed: 32), trainLines: 2);
        await host.WaitAsync(nextId, seconds: 120);
        Assert.Equal(JobStatus.Succeeded, (await host.Store.GetAsync(nextId, Ct))!.Status);
        Assert.Equal(rollouts, (await BlobsAsync(host, $"{jobId}/steps/0/{Split.Train}/rollout-")).Count);
        Assert.Null(await TrainerStateStore.ReadManifestAsync(host.Store.Container, JobBlobs.State(jobId, 0), Ct));
    }

    private JobStorageOptions Options() => new()
    {
        Container = storage.UniqueName("jobs"),
        JobsTable = storage.UniqueName("Jobs").Replace("-", "", StringComparison.Ordinal),
        EventsTable = storage.UniqueName("Events").Replace("-", "", StringComparison.Ordinal),
        CheckpointsTable = storage.UniqueName("Ckpts").Replace("-", "", StringComparison.Ordinal),
    };

    private static async Task<List<string>> BlobsAsync(TrainingTestHost host, string prefix)
    {
        var names = new List<string>();
        await foreach (var blob in host.Store.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, Ct)) names.Add(blob.Name);
        return names;
    }

    private static async Task WaitForBlobAsync(TrainingTestHost host, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!(await host.Store.Container.GetBlobClient(name).ExistsAsync(Ct)).Value)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name} was never written");
            await Task.Delay(100, Ct);
        }
    }
}
