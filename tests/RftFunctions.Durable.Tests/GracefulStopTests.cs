using RftFunctions.Durable.AzureStorage;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class GracefulStopTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stop_abandons_running_work_items_for_redelivery_without_reporting_failure_and_drops_late_results()
    {
        // A long visibility: only an explicit abandon makes the work items visible again while this test runs.
        var options = DurableTestHost.TestOptions(storage) with
        {
            ActivityStopGracePeriod = TimeSpan.FromMilliseconds(500),
            StorageProvider = DurableTestHost.TestOptions(storage).StorageProvider with { WorkItemQueueVisibilityTimeout = TimeSpan.FromMinutes(5) },
            WorkerPools = new() { ["slow"] = 2 },
        };
        var started = new SemaphoreSlim(0);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ignorerDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, string>("TwoSlow", async (ctx, _) =>
            {
                try
                {
                    var results = await Task.WhenAll(ctx.CallActivityAsync<string>("IgnoresCancellation"), ctx.CallActivityAsync<string>("FailsWhenCancelled"));
                    return string.Join(",", results);
                }
                catch (TaskFailedException ex)
                {
                    return "failed: " + ex.FailureDetails.ErrorType + ": " + ex.FailureDetails.ErrorMessage;
                }
            })
            // Like a training step that never looks at its token: the first delivery runs until the test opens the gate.
            .AddActivityFunc<object?, string>("IgnoresCancellation", async (ctx, _) =>
            {
                if (ctx.DeliveryCount == 1)
                {
                    started.Release();
                    await gate.Task;
                    ignorerDone.TrySetResult();
                }
                return "ignorer" + ctx.DeliveryCount;
            }, pool: "slow")
            // Like a storage call cut short by the stop: cancellation surfaces as some other exception.
            .AddActivityFunc<object?, string>("FailsWhenCancelled", async (ctx, _) =>
            {
                if (ctx.DeliveryCount == 1)
                {
                    started.Release();
                    try
                    {
                        await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new IOException("the connection was closed");
                    }
                }
                return "failer" + ctx.DeliveryCount;
            }, pool: "slow");
        var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var first = new DurableTaskWorker(storage.Account, options, registry);
        await first.StartAsync(Ct);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("TwoSlow", cancellation: Ct);
        for (int i = 0; i < 2; i++) Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(60), Ct), "the activities never started");

        // Bounded only so a regression fails instead of hanging the run.
        await first.StopAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        Assert.False(gate.Task.IsCompleted);
        Assert.False(ignorerDone.Task.IsCompleted); // StopAsync returned while the activity code still ran
        var workItems = new TaskHub(storage.Account, options).WorkItemQueue("slow");
        Assert.Equal(2, (await workItems.PeekMessagesAsync(10, Ct)).Value.Length); // both visible again at once
        // The abandoned first delivery finishes now; its result must not reach the orchestration.
        gate.SetResult();
        await ignorerDone.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);

        await using var second = new DurableTaskWorker(storage.Account, options, registry);
        await second.StartAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(90));
        var done = await client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("ignorer2,failer2", done.ReadOutputAs<string>());
        await first.DisposeAsync();
        await client.DisposeAsync();
    }
}
