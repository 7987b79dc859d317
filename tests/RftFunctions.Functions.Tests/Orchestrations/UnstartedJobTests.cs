using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Storage;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// Issue 22: a job create that cannot start its orchestration leaves no job row, or one that is later failed with a
/// reason, never one stuck in validating_files.
/// </summary>
public sealed class UnstartedJobTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_create_whose_orchestration_start_fails_on_an_unreachable_queue_leaves_no_job_in_validating_files()
    {
        await using var host = await TrainingTestHost.StartAsync(storage, runWorker: false);
        // The same account, except that nothing listens where its queue service should be.
        var parts = ConnectionStringParts.Parse(storage.ConnectionString);
        var noQueue = StorageAccount.FromConnectionString(storage.ConnectionString.Replace(parts["QueueEndpoint"], "http://127.0.0.1:9/devstoreaccount1", StringComparison.Ordinal));
        var client = new TaskHubEngine(noQueue, host.DurableOptions).CreateClient();
        var jobs = new TrainingJobService(host.Store, client);
        var spec = new TrainingJobSpec
        {
            JobId = "ftjob-" + storage.UniqueName("nq"),
            BaseModel = "tiny",
            TrainingBlob = "x/train.jsonl",
            Grader = JsonDocument.Parse(TrainingTestHost.Grader).RootElement.Clone(),
            Config = TrainingTestHost.Config(seed: 1),
        };

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => jobs.CreateAsync(spec, cancellationToken: Ct));

        Assert.True(RftFunctions.Functions.Api.StorageOutage.IsOutage(failure), failure.ToString());
        // The create deletes its row when it can tell no orchestration exists; this client cannot even ask (its queue is
        // away), so the row may stay: then the reconciler, with storage back, fails it with the reason.
        if (await host.Store.GetAsync(spec.JobId, Ct) is null) return;
        var reconciler = new UnstartedJobReconciler(host.Store, host.Client, new ConfigurationBuilder().Build(), new LoopLiveness(), NullLogger<UnstartedJobReconciler>.Instance);
        Assert.Equal(1, await reconciler.ReconcileAsync(TimeSpan.Zero, Ct));
        var settled = (await host.Store.GetAsync(spec.JobId, Ct))!;
        Assert.Equal(JobStatus.Failed, settled.Status);
        Assert.Equal(UnstartedJobReconciler.ErrorCode, settled.Error!.Code);
    }

    [Fact]
    public async Task The_reconciler_fails_a_job_left_in_validating_files_with_no_orchestration_and_leaves_the_others_alone()
    {
        await using var host = await TrainingTestHost.StartAsync(storage, runWorker: false);
        var old = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        string orphan = "ftjob-" + storage.UniqueName("or"), fresh = "ftjob-" + storage.UniqueName("fr"), started = "ftjob-" + storage.UniqueName("st");
        await host.Store.CreateAsync(Job(orphan, old), "p", Ct);
        await host.Store.CreateAsync(Job(fresh, DateTimeOffset.UtcNow.ToUnixTimeSeconds()), "p", Ct);
        // One whose orchestration exists (the worker is simply slow to move it): the orchestration's to settle.
        await host.Store.CreateAsync(Job(started, old), "p", Ct);
        await host.Client.ScheduleNewOrchestrationInstanceAsync(RftFunctions.Functions.Orchestrations.RftOrchestrations.TrainingJob,
            new RftFunctions.Functions.Orchestrations.TrainingJobState(started), new Microsoft.DurableTask.StartOrchestrationOptions(started), Ct);
        var reconciler = new UnstartedJobReconciler(host.Store, host.Client, new ConfigurationBuilder().Build(), new LoopLiveness(), NullLogger<UnstartedJobReconciler>.Instance);

        int failed = await reconciler.ReconcileAsync(TimeSpan.FromMinutes(2), Ct);

        Assert.Equal(1, failed);
        var settled = (await host.Store.GetAsync(orphan, Ct))!;
        Assert.Equal(JobStatus.Failed, settled.Status);
        Assert.Equal(UnstartedJobReconciler.ErrorCode, settled.Error!.Code);
        Assert.NotNull(settled.FinishedAt);
        Assert.Contains(await host.EventsAsync(orphan), e => e.Level == "error" && e.Message.Contains("create it again", StringComparison.Ordinal));
        Assert.Equal(JobStatus.ValidatingFiles, (await host.Store.GetAsync(fresh, Ct))!.Status);
        Assert.Equal(JobStatus.ValidatingFiles, (await host.Store.GetAsync(started, Ct))!.Status);
        // A second round changes nothing more.
        Assert.Equal(0, await reconciler.ReconcileAsync(TimeSpan.FromMinutes(2), Ct));
    }

    private static FineTuningJobObject Job(string id, long createdAt) => new()
    {
        Id = id,
        CreatedAt = createdAt,
        Model = "tiny",
        Status = JobStatus.ValidatingFiles,
    };
}
