using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using RftFunctions.Training.Checkpoints;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

public sealed class TrainingJobTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static double Score(JobEventObject e, string name) => e.Data!.Value.GetProperty("scores").GetProperty(name).GetDouble();

    [Fact]
    public async Task A_short_job_runs_to_succeeded_with_metrics_events_and_checkpoints_whose_manifest_names_every_file()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = await host.CreateJobAsync("ftjob-short", TrainingTestHost.Config(seed: 7));

        var done = await host.WaitAsync(jobId);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        Assert.Equal("ft:tiny-qwen3:unit:ftjob-short", job.FineTunedModel);
        Assert.Equal(3, job.TrainedSteps);
        Assert.True(job.TrainedTokens > 0);

        var events = await host.EventsAsync(jobId);
        var metrics = events.Where(e => e.Type == "metrics").ToList();
        Assert.Equal([1, 2, 3], metrics.Select(e => e.Data!.Value.GetProperty("step").GetInt32()));
        Assert.All(metrics, e => Assert.Equal(3, e.Data!.Value.GetProperty("total_steps").GetInt32()));
        Assert.All(metrics, e => Assert.InRange(Score(e, "train_reward_mean"), 0, 2));
        Assert.Contains(metrics, e => Score(e, "train_reward_mean") > 0);
        // Validation at eval_interval (step 2) and at the end (step 3) only.
        Assert.False(metrics[0].Data!.Value.GetProperty("scores").TryGetProperty("valid_reward_mean", out _));
        Assert.True(metrics[1].Data!.Value.GetProperty("scores").TryGetProperty("valid_reward_mean", out _));
        var graders = metrics[1].Data!.Value.GetProperty("scores").GetProperty("graders").EnumerateArray().Select(g => g.GetProperty("name").GetString()).ToList();
        Assert.Equal(["hit", "sim"], graders);
        Assert.Equal(JobStatus.ValidatingFiles, events[0].Message.Contains("Validating", StringComparison.Ordinal) ? JobStatus.ValidatingFiles : events[0].Message);
        Assert.Contains("successfully completed", events[^1].Message, StringComparison.Ordinal);

        var checkpoints = await host.Store.ListCheckpointsAsync(jobId, Ct);
        Assert.Equal([3, 2], checkpoints.Select(c => c.StepNumber));
        foreach (var checkpoint in checkpoints)
        {
            var manifest = await TrainerStateStore.ReadManifestAsync(host.Store.Container, checkpoint.BlobPrefix!, Ct);
            Assert.NotNull(manifest);
            Assert.Equal(checkpoint.StepNumber, manifest.CompletedSteps);
            Assert.Equal(TrainerStateManifest.LoraFormat, manifest.PolicyFormat);
            var blobs = new List<string>();
            await foreach (var blob in host.Store.Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, checkpoint.BlobPrefix + "/", Ct))
                blobs.Add(blob.Name[(checkpoint.BlobPrefix!.Length + 1)..]);
            Assert.Equal(manifest.PolicyFiles.Append(TrainerStateManifest.OptimizerFile).Append(TrainerStateManifest.FileName).Order(), blobs.Order());
            Assert.Contains("policy/adapter_model.safetensors", manifest.PolicyFiles);
        }
    }

    [Fact]
    public async Task A_job_with_a_kl_coefficient_trains_against_the_frozen_base_model()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = await host.CreateJobAsync("ftjob-kl", TrainingTestHost.Config(seed: 7) with { Beta = 0.1 });

        await host.WaitAsync(jobId);

        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.True(job.Status == JobStatus.Succeeded, $"{job.Status}: {job.Error?.Message}");
        var kl = (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics")
            .Select(e => e.Data!.Value.GetProperty("diagnostics").GetProperty("kl").GetDouble()).ToList();
        Assert.Equal(3, kl.Count);
        // Step 1 samples from the base model itself; once an update has moved the policy (a step whose groups all
        // share one reward moves nothing), it differs from the base. k3 is never negative.
        Assert.InRange(kl[0], -1e-6, 1e-6);
        Assert.Contains(kl.Skip(1), k => k > 1e-8);
        Assert.All(kl, k => Assert.True(k >= -1e-6, $"kl {k}"));
    }

    [Fact]
    public async Task The_same_job_with_the_same_seed_gives_the_same_numbers_and_bit_identical_weights()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var first = await host.CreateJobAsync("ftjob-det-a", TrainingTestHost.Config(seed: 21));
        await host.WaitAsync(first);
        var second = await host.CreateJobAsync("ftjob-det-b", TrainingTestHost.Config(seed: 21));
        await host.WaitAsync(second);

        var a = await NumbersAsync(host, first);
        var b = await NumbersAsync(host, second);
        Assert.Equal(3, a.Count);
        Assert.Equal(a, b);
        Assert.Equal(await FinalAdapterAsync(host, first), await FinalAdapterAsync(host, second));

        var other = await host.CreateJobAsync("ftjob-det-c", TrainingTestHost.Config(seed: 22));
        await host.WaitAsync(other);
        Assert.NotEqual(a, await NumbersAsync(host, other));
    }

    private static async Task<List<string>> NumbersAsync(TrainingTestHost host, string jobId) =>
        [.. (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics").Select(e =>
        {
            var d = e.Data!.Value;
            var diag = d.GetProperty("diagnostics");
            var valid = d.GetProperty("scores").TryGetProperty("valid_reward_mean", out var v) ? v.GetDouble().ToString("R") : "-";
            return $"{d.GetProperty("step")} {Score(e, "train_reward_mean"):R} {valid} {diag.GetProperty("loss").GetDouble():R} {diag.GetProperty("grad_norm").GetDouble():R}";
        })];

    private static async Task<byte[]> FinalAdapterAsync(TrainingTestHost host, string jobId) =>
        (await host.Store.Container.GetBlobClient($"{JobBlobs.Final(jobId)}/policy/adapter_model.safetensors").DownloadContentAsync(Ct)).Value.Content.ToArray();

    [Fact]
    public async Task Pause_holds_the_job_between_steps_and_resume_finishes_it_with_contiguous_steps()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = await host.CreateJobAsync("ftjob-pause", TrainingTestHost.Config(seed: 3, evalInterval: 10, stepsPerGeneration: 10), trainLines: 8);
        await host.WaitForJobAsync(jobId, j => j.TrainedSteps >= 1);

        await host.Jobs.PauseAsync(jobId, Ct);
        var paused = await host.WaitForJobAsync(jobId, j => j.Status == JobStatus.Paused);
        await Task.Delay(1500, Ct);
        var still = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.Equal(JobStatus.Paused, still.Status);
        Assert.Equal(paused.TrainedSteps, still.TrainedSteps);
        Assert.True(still.TrainedSteps < 4, "the job ran to the end instead of pausing");
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(jobId, cancellation: Ct))!.RuntimeStatus);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Jobs.PauseAsync(jobId, Ct));

        var resumed = await host.Jobs.ResumeAsync(jobId, Ct);
        Assert.Equal(JobStatus.Queued, resumed.Status);
        await host.WaitAsync(jobId);

        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.Equal(JobStatus.Succeeded, job.Status);
        var events = await host.EventsAsync(jobId);
        Assert.Equal([1, 2, 3, 4], events.Where(e => e.Type == "metrics").Select(e => e.Data!.Value.GetProperty("step").GetInt32()));
        var messages = events.Select(e => e.Message).ToList();
        Assert.True(messages.IndexOf("Fine-tuning job paused") < messages.IndexOf("Fine-tuning job resumed"));
    }

    [Fact]
    public async Task A_pause_during_the_last_step_leaves_the_job_paused_and_resume_finalizes_it()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        // Two steps; the last one validates 16 items, so it is long. Step 1's metrics are recorded while step 2 samples,
        // so once trained_steps is 1 the job is inside its last step.
        var jobId = await host.CreateJobAsync("ftjob-lastpause", TrainingTestHost.Config(seed: 4, evalInterval: 10, stepsPerGeneration: 10), trainLines: 4, validLines: 16);
        await host.WaitForJobAsync(jobId, j => j.TrainedSteps >= 1);
        await host.Jobs.PauseAsync(jobId, Ct);

        var paused = await host.WaitForJobAsync(jobId, j => j.Status != JobStatus.Running);
        Assert.Equal(JobStatus.Paused, paused.Status);
        Assert.Equal(2, paused.TrainedSteps);
        Assert.Null(paused.FineTunedModel);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync(jobId, cancellation: Ct))!.RuntimeStatus);

        await host.Jobs.ResumeAsync(jobId, Ct);
        await host.WaitAsync(jobId);
        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.Equal(JobStatus.Succeeded, job.Status);
        Assert.NotNull(job.FineTunedModel);
        var events = await host.EventsAsync(jobId);
        Assert.Equal([1, 2], events.Where(e => e.Type == "metrics").Select(e => e.Data!.Value.GetProperty("step").GetInt32()));
        var messages = events.Select(e => e.Message).ToList();
        int pausedAt = messages.IndexOf("Fine-tuning job paused after its last step; resume finalizes it");
        Assert.True(pausedAt >= 0, "no pause event: " + string.Join(" | ", messages));
        Assert.True(pausedAt < messages.IndexOf("Fine-tuning job resumed"));
    }

    [Fact]
    public async Task Cancel_stops_the_job_between_steps_and_pause_before_the_first_step_is_refused()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = await host.CreateJobAsync("ftjob-cancel", TrainingTestHost.Config(seed: 5, evalInterval: 10, stepsPerGeneration: 10), trainLines: 8);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Jobs.PauseAsync(jobId, Ct));
        await host.WaitForJobAsync(jobId, j => j.TrainedSteps >= 1);

        await host.Jobs.CancelAsync(jobId, Ct);
        var done = await host.WaitAsync(jobId);

        Assert.Equal(JobStatus.Cancelled, done.ReadOutputAs<TrainingJobOutcome>()!.Status);
        var job = (await host.Store.GetAsync(jobId, Ct))!;
        Assert.Equal(JobStatus.Cancelled, job.Status);
        Assert.NotNull(job.FinishedAt);
        Assert.True(job.TrainedSteps < 4);
        Assert.Null(job.FineTunedModel);
        var steps = (await host.EventsAsync(jobId)).Where(e => e.Type == "metrics").Select(e => e.Data!.Value.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(1, job.TrainedSteps), steps);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Jobs.CancelAsync(jobId, Ct));
    }

    [Fact]
    public async Task A_bad_dataset_fails_the_job_at_validating_files_naming_the_line()
    {
        await using var host = await TrainingTestHost.StartAsync(storage);
        var jobId = "ftjob-bad";
        await host.Store.Container.CreateIfNotExistsAsync(cancellationToken: Ct);
        await host.CreateJobAsync(jobId, TrainingTestHost.Config(seed: 1));
        await host.WaitAsync(jobId);
        // Overwriting the file after the first run makes a second job whose line 2 is not JSON.
        var bad = "ftjob-bad2";
        await host.Store.Container.GetBlobClient($"{bad}/input/train.jsonl").UploadAsync(BinaryData.FromString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n{not json"), Ct);
        var spec = await JobBlobs.ReadAsync<TrainingJobSpec>(host.Store.Container, TrainingJobSpec.BlobName(jobId), Ct);
        await host.Jobs.CreateAsync(spec with { JobId = bad, TrainingBlob = $"{bad}/input/train.jsonl" }, cancellationToken: Ct);
        await host.WaitAsync(bad);

        var job = (await host.Store.GetAsync(bad, Ct))!;
        Assert.Equal(JobStatus.Failed, job.Status);
        Assert.Contains("line 2", job.Error!.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, job.TrainedSteps);
        _ = JsonSerializer.Serialize(job);
    }
}
