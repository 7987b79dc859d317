using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using RftFunctions.Training.Checkpoints;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

public sealed class TrainingNanGuardTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_non_finite_loss_skips_that_update_with_a_warning_and_the_job_continues_from_the_last_good_state()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var config = TrainingTestHost.Config(seed: 13, evalInterval: 10, stepsPerGeneration: 10) with { InjectNonFiniteLossAtSteps = [1] };
        var jobId = await host.CreateJobAsync("ftjob-nan", config, trainLines: 8);

        var done = await host.WaitAsync(jobId, seconds: 300);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        var events = await host.EventsAsync(jobId);
        var metrics = events.Where(e => e.Type == "metrics").ToList();
        Assert.Equal([1, 2, 3, 4], metrics.Select(e => e.Data!.Value.GetProperty("step").GetInt32()));
        bool Skipped(JobEventObject e) => e.Data!.Value.GetProperty("diagnostics").GetProperty("update_skipped").GetBoolean();
        Assert.Equal([false, true, false, false], metrics.Select(Skipped));
        Assert.Equal("warn", metrics[1].Level);
        Assert.Contains("non-finite loss", metrics[1].Data!.Value.GetProperty("diagnostics").GetProperty("skip_reason").GetString(), StringComparison.Ordinal);
        // The steps around the bad one trained normally.
        Assert.All(metrics.Where(e => !Skipped(e)), e => Assert.True(e.Data!.Value.GetProperty("diagnostics").GetProperty("grad_norm").GetDouble() > 0));
        var warning = Assert.Single(events, e => e.Type == "message" && e.Level == "warn");
        Assert.Contains("Step 2: policy update skipped", warning.Message, StringComparison.Ordinal);
        Assert.True(events.IndexOf(metrics[1]) < events.IndexOf(warning) && events.IndexOf(warning) < events.IndexOf(metrics[2]));

        // The state after the skipped step is the state before it, bit for bit; the next step changed it again.
        Assert.Equal(await StateBytesAsync(host, jobId, 0), await StateBytesAsync(host, jobId, 1));
        Assert.NotEqual(await StateBytesAsync(host, jobId, 1), await StateBytesAsync(host, jobId, 2));
    }

    private static async Task<List<byte[]>> StateBytesAsync(TrainingTestHost host, string jobId, int step)
    {
        var prefix = JobBlobs.State(jobId, step);
        var manifest = await TrainerStateStore.ReadManifestAsync(host.Store.Container, prefix, Ct);
        Assert.NotNull(manifest);
        var files = new List<byte[]>();
        foreach (var file in manifest.PolicyFiles.Append(TrainerStateManifest.OptimizerFile))
            files.Add((await host.Store.Container.GetBlobClient($"{prefix}/{file}").DownloadContentAsync(Ct)).Value.Content.ToArray());
        return files;
    }
}
