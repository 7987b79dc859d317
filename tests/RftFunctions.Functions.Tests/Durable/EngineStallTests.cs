using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Hosting;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Durable;

/// <summary>
/// Issue 22: an engine whose receive loops stop reading while the process lives (the wedge seen after storage outages)
/// is found from storage by <see cref="QueueProgressWatch"/>: a start message waits unread in a control queue nobody
/// reads, the engine's liveness turns <c>stalled</c> (so /healthz says 503), the supervisor restarts the engine in the
/// process, and the orchestration then runs.
/// </summary>
public sealed class EngineStallTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_engine_that_stops_reading_its_queues_is_reported_stalled_and_restarted_and_the_waiting_orchestration_then_runs()
    {
        var hub = new TaskHubOptions
        {
            HubName = storage.UniqueName("stall").Replace("-", "", StringComparison.Ordinal),
            StorageProvider = new TaskHubStorageOptions { MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100) },
        };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new WorkerShutdown());
        services.AddTaskHub(storage.Account, hub, runWorker: false);
        services.AddSingleton(new TaskCatalog().AddOrchestrator<Echo>(nameof(Echo)).AddActivity<Double>(nameof(Double)));
        await using var provider = services.BuildServiceProvider();
        var liveness = provider.GetRequiredService<LoopLiveness>();
        var worker = new TaskHubWorkerService(provider.GetRequiredService<TaskHubEngine>(), provider.GetRequiredService<TaskCatalog>(), provider,
            provider.GetRequiredService<WorkerShutdown>(), liveness, provider.GetRequiredService<ILoggerFactory>(), provider.GetRequiredService<ILogger<TaskHubWorkerService>>())
        {
            ProbeInterval = TimeSpan.FromMilliseconds(250),
            WatchInterval = TimeSpan.FromMilliseconds(500),
            StallAfter = TimeSpan.FromSeconds(3),
        };
        await worker.StartAsync(Ct);
        try
        {
            await WaitAsync(() => worker.Engine is not null && Engine(liveness).State == "running", "the engine to run");
            var client = provider.GetRequiredService<DurableTaskClient>();
            Assert.Equal(42, (await RunAsync(client, 21)).ReadOutputAs<int>());

            // The wedge: the engine stops reading (its partitions are let go) while the supervisor still holds it.
            await worker.Engine!.StopAsync(isForced: true);
            var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Echo), 5, Ct);

            await WaitAsync(() => Engine(liveness).State == "stalled", "the engine to be reported stalled");
            Assert.False(Engine(liveness).Ok);
            Assert.Contains("waited unread", Engine(liveness).Detail, StringComparison.Ordinal);

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromSeconds(120));
            var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, limit.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(10, done.ReadOutputAs<int>());
            Assert.True(worker.Restarts >= 1);
            // Healthy again once the restarted engine is seen reading.
            await WaitAsync(() => Engine(liveness) is { Ok: true, State: "running" }, "the engine to be reported running again");
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    private static LoopStatus Engine(LoopLiveness liveness) => liveness.Report().Single(l => l.Name == TaskHubWorkerService.LoopName);

    private static async Task<OrchestrationMetadata> RunAsync(DurableTaskClient client, int input)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Echo), input, Ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        return await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, limit.Token);
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("waited 90 s for " + what);
            await Task.Delay(100, Ct);
        }
    }

    private sealed class Echo : TaskOrchestrator<int, int>
    {
        public override Task<int> RunAsync(TaskOrchestrationContext context, int input) => context.CallActivityAsync<int>(nameof(Double), input);
    }

    private sealed class Double : TaskActivity<int, int>
    {
        public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(input * 2);
    }
}
