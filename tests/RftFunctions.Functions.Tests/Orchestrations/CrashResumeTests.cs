using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Jobs;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// Crash-resume through the real orchestration: the worker is a real <c>rft host</c> OS process (orchestrations and
/// every orchestrator and activity) on the test Azurite, SIGKILLed at seeded random moments and restarted; the test is only a client.
/// </summary>
public sealed class CrashResumeTests(StorageFixture storage)
{
    private const int TrainLines = 12; // 2 prompts per step: 6 steps, validation + checkpoint at 2, 4 and 6
    private const int Kills = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_whose_worker_process_is_SIGKILLed_repeatedly_completes_with_each_step_once_and_bit_identical_weights()
    {
        // stepsPerGeneration 2: the kills also land around ContinueAsNew.
        var config = TrainingTestHost.Config(seed: 31, evalInterval: 2, stepsPerGeneration: 2);

        // The uninterrupted run with the same seed (an in-process worker: the code is the same, the process is not).
        List<string> expectedNumbers;
        byte[] expectedAdapter;
        List<int> expectedCheckpoints;
        await using (var reference = await TrainingTestHost.StartAsync(storage))
        {
            var id = await reference.CreateJobAsync("ftjob-crash-ref", config, TrainLines);
            var finished = await reference.WaitAsync(id, seconds: 300);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, finished.RuntimeStatus);
            expectedNumbers = await TrainingJobReads.NumbersAsync(reference, id);
            expectedAdapter = await TrainingJobReads.FinalAdapterAsync(reference, id);
            expectedCheckpoints = [.. (await reference.Store.ListCheckpointsAsync(id, Ct)).Select(c => c.StepNumber)];
        }
        Assert.Equal(6, expectedNumbers.Count);

        await using var client = await TrainingTestHost.StartAsync(storage, runWorker: false);
        var environment = WorkerEnvironment(client);
        var jobId = await client.CreateJobAsync("ftjob-crash", config, TrainLines);
        var random = new Random(20261122);
        var kills = new List<string>();
        var worker = await StartWorkerAsync(environment);
        try
        {
            for (int kill = 1; kill <= Kills; kill++)
            {
                // Spread the kills over the job: kill k lands at a random moment after step k was recorded, i.e.
                // somewhere in step k+1's rollout, grading, update, validation or checkpoint.
                var before = await client.WaitForJobAsync(jobId, j => j.TrainedSteps >= kill, seconds: 300);
                await Task.Delay(random.Next(0, 2500), Ct);
                var now = (await client.Store.GetAsync(jobId, Ct))!;
                Assert.True(now.FinishedAt is null, $"the job finished before kill {kill}; make it longer");
                await worker.DisposeAsync(); // Process.Kill: SIGKILL on Linux, no shutdown code runs
                kills.Add($"kill {kill} after step {now.TrainedSteps} (waited for {before.TrainedSteps})");
                worker = await StartWorkerAsync(environment);
            }
            var done = await client.WaitAsync(jobId, seconds: 400);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{done.RuntimeStatus}; {string.Join("; ", kills)}\n{worker.Output}");
        }
        finally
        {
            await worker.DisposeAsync();
        }

        Assert.Equal(Kills, kills.Count);
        var job = (await client.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        Assert.Equal(6, job.TrainedSteps);
        var events = await client.EventsAsync(jobId);
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        // Each step's metrics event once, in order, with the uninterrupted run's numbers.
        Assert.Equal(expectedNumbers, await TrainingJobReads.NumbersAsync(client, jobId));
        var checkpointEvents = events.Where(e => e.Message.StartsWith("Checkpoint created", StringComparison.Ordinal)).Select(e => e.Message).ToList();
        Assert.Equal(3, checkpointEvents.Count);
        Assert.Equal(checkpointEvents.Count, checkpointEvents.Distinct().Count());
        Assert.Equal(expectedCheckpoints, (await client.Store.ListCheckpointsAsync(jobId, Ct)).Select(c => c.StepNumber));
        Assert.Equal(expectedAdapter, await TrainingJobReads.FinalAdapterAsync(client, jobId));
    }

    /// <summary>The worker process's settings: the client's hub and job storage, short visibility and leases so a
    /// killed worker's messages and partitions come back within seconds.</summary>
    private Dictionary<string, string> WorkerEnvironment(TrainingTestHost client)
    {
        const string Durable = "AzureFunctionsJobHost__extensions__durableTask__";
        const string Provider = Durable + "storageProvider__";
        return new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__Roles"] = "all",
            ["Rft__EmbeddedAzurite"] = "false",
            // Checkpoint evaluations are not what this test is about; they would only add load to the kill loop.
            ["Rft__CheckpointScanSeconds"] = "0",
            ["Rft__Jobs__Container"] = client.JobOptions.Container,
            ["Rft__Jobs__JobsTable"] = client.JobOptions.JobsTable,
            ["Rft__Jobs__EventsTable"] = client.JobOptions.EventsTable,
            ["Rft__Jobs__CheckpointsTable"] = client.JobOptions.CheckpointsTable,
            [Durable + "hubName"] = client.DurableOptions.HubName,
            [Provider + "maxQueuePollingInterval"] = "00:00:00.500",
            [Provider + "leaseInterval"] = "00:00:05",
            [Provider + "leaseRenewInterval"] = "00:00:01",
            [Provider + "leaseAcquireInterval"] = "00:00:01",
            [Provider + "controlQueueVisibilityTimeout"] = "00:00:04",
            [Provider + "workItemQueueVisibilityTimeout"] = "00:00:04",
        };
    }

    private static async Task<HostProcess> StartWorkerAsync(Dictionary<string, string> environment)
    {
        var host = HostProcess.Start(environment);
        using var http = new HttpClient();
        // Answering HTTP means the app is built and its hosted services (the durable worker) are starting.
        using var _ = await host.WaitForAsync(http, "/healthz", TimeSpan.FromSeconds(120), Ct);
        return host;
    }
}
