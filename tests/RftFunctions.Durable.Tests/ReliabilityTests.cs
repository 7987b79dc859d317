using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;
using RftFunctions.Durable.Worker;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class ReliabilityTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Changed_call_sequence_between_episodes_is_detected_as_non_determinism()
    {
        var version = 1;
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Evolving", async (ctx, _) =>
            {
                await ctx.CallActivityAsync<int>(version == 1 ? "StepA" : "StepB");
                return await ctx.WaitForExternalEvent<string>("go");
            })
            .AddOrchestratorFunc<object?, string>("Growing", async (ctx, _) =>
            {
                await ctx.CallActivityAsync<int>("StepA");
                if (version == 2) _ = ctx.CallActivityAsync<int>("StepB"); // an extra call the history lacks
                return await ctx.WaitForExternalEvent<string>("go");
            })
            .AddActivityFunc<object?, int>("StepA", (_, _) => 1)
            .AddActivityFunc<object?, int>("StepB", (_, _) => 2));
        var evolving = await host.Client.ScheduleNewOrchestrationInstanceAsync("Evolving", cancellation: Ct);
        var growing = await host.Client.ScheduleNewOrchestrationInstanceAsync("Growing", cancellation: Ct);
        await WaitForHistoryAsync(host, evolving, EventType.TaskCompleted);
        await WaitForHistoryAsync(host, growing, EventType.TaskCompleted);
        version = 2;
        await host.Client.RaiseEventAsync(evolving, "go", "x", Ct);
        await host.Client.RaiseEventAsync(growing, "go", "x", Ct);

        var changed = await host.WaitAsync(evolving);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, changed.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, changed.FailureDetails!.ErrorType);
        Assert.Contains("'StepA'", changed.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'StepB'", changed.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var grown = await host.WaitAsync(growing);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, grown.RuntimeStatus);
        Assert.Equal(typeof(NonDeterministicOrchestrationException).FullName, grown.FailureDetails!.ErrorType);
    }

    [Fact]
    public async Task Fan_out_of_2000_activities_delivers_exactly_one_result_each()
    {
        var invocations = 0;
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, int[]>("BigFanOut", async (ctx, n) =>
                await Task.WhenAll(Enumerable.Range(0, n).Select(i => ctx.CallActivityAsync<int>("Identity", i))))
            .AddActivityFunc<int, int>("Identity", (_, i) => { Interlocked.Increment(ref invocations); return i; }),
            o => o with { MaxConcurrentActivityFunctions = 64 });
        var result = await host.RunAsync("BigFanOut", 2000, instanceId: "fan2000", timeout: TimeSpan.FromSeconds(150));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(Enumerable.Range(0, 2000), result.ReadOutputAs<int[]>());
        Assert.True(invocations >= 2000);

        var history = await new TaskHub(storage.Account, host.Options).History.LoadAsync("fan2000", Ct);
        var completions = history.Events.Where(e => e.EventType == EventType.TaskCompleted).Select(e => e.TaskScheduledId).ToList();
        Assert.Equal(2000, completions.Count);
        Assert.Equal(2000, completions.Distinct().Count());
    }

    [Fact]
    public async Task Poison_activity_fails_the_call_with_its_reason_after_N_deliveries_and_is_moved_aside()
    {
        var options = DurableTestHost.TestOptions(storage) with
        {
            MaxDeliveryAttempts = 2,
            StorageProvider = DurableTestHost.TestOptions(storage).StorageProvider with { WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(1) },
        };
        var started = new SemaphoreSlim(0);
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, string>("CallsPoison", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync("Hangs");
                    return "completed";
                }
                catch (TaskFailedException ex)
                {
                    return ex.FailureDetails.ErrorType + ": " + ex.FailureDetails.ErrorMessage;
                }
            })
            .AddActivityFunc<object?>("Hangs", async (ctx, _) =>
            {
                started.Release();
                await Task.Delay(Timeout.Infinite, ctx.CancellationToken);
            }, pool: "crash");
        // The orchestrating worker does not serve the crash pool; crash workers come and go.
        await using var orchestrating = new DurableTaskWorker(storage.Account, options with { WorkerPools = new() { ["default"] = 2 } }, registry);
        await orchestrating.StartAsync(Ct);
        var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("CallsPoison", cancellation: Ct);
        for (int delivery = 1; delivery <= 2; delivery++)
        {
            var crashing = new DurableTaskWorker(storage.Account, options with { ProcessOrchestrations = false, WorkerPools = new() { ["crash"] = 1 } }, registry);
            await crashing.StartAsync(Ct);
            Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(30), Ct), $"delivery {delivery} never started");
            await crashing.StopAsync(Ct); // the worker dies mid-activity: no result, no delete
        }
        await using var last = new DurableTaskWorker(storage.Account, options with { ProcessOrchestrations = false, WorkerPools = new() { ["crash"] = 1 } }, registry);
        await last.StartAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var result = await client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        var output = result.ReadOutputAs<string>()!;
        Assert.StartsWith("PoisonMessage: Activity 'Hangs'", output, StringComparison.Ordinal);
        Assert.Contains("delivered 2 times", output, StringComparison.Ordinal);
        Assert.Equal(0, started.CurrentCount); // the third delivery did not run the activity
        var poison = await new TaskHub(storage.Account, options).PoisonQueue.PeekMessagesAsync(10, Ct);
        Assert.Single(poison.Value);
        Assert.Contains("Hangs", poison.Value[0].Body.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_megabyte_payload_round_trips_through_queues_history_and_instances()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<string, string>("Big", async (ctx, s) => await ctx.CallActivityAsync<string>("Reverse", s))
            .AddActivityFunc<string, string>("Reverse", (_, s) => new string([.. s.Reverse()])));
        var random = new Random(1234);
        var payload = new string([.. Enumerable.Range(0, 1024 * 1024).Select(_ => (char)('a' + random.Next(26)))]);
        var result = await host.RunAsync("Big", payload, instanceId: "big1");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal(payload, result.ReadInputAs<string>());
        Assert.Equal(new string([.. payload.Reverse()]), result.ReadOutputAs<string>());
        var hub = new TaskHub(storage.Account, host.Options);
        var blobs = await hub.Payloads.Container.GetBlobsAsync(cancellationToken: Ct).ToListAsync(Ct);
        Assert.Contains(blobs, b => b.Name.Contains("/message-", StringComparison.Ordinal));
        Assert.Contains(blobs, b => b.Name.Contains("/history-", StringComparison.Ordinal));
        Assert.Contains(blobs, b => b.Name.Contains("/instance-", StringComparison.Ordinal));
        // Gzip makes the stored copy far smaller than the 2 MB of UTF-16 text.
        Assert.All(blobs, b => Assert.True(b.Properties.ContentLength < 1024 * 1024));
        await host.Client.PurgeInstanceAsync("big1", Ct);
        Assert.Empty(await hub.Payloads.Container.GetBlobsAsync(cancellationToken: Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task Split_brain_two_workers_race_for_one_instance_and_exactly_one_episode_commits()
    {
        var runs = 0;
        var options = DurableTestHost.TestOptions(storage);
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, int>("Pair", async (ctx, _) =>
                (await Task.WhenAll(ctx.CallActivityAsync<int>("One"), ctx.CallActivityAsync<int>("One"))).Sum())
            .AddActivityFunc<object?, int>("One", (_, _) => { Interlocked.Increment(ref runs); return 1; });
        var hubA = new TaskHub(storage.Account, options);
        var hubB = new TaskHub(storage.Account, options);
        await hubA.CreateIfNotExistsAsync([], Ct);
        var services = new ServiceCollection().BuildServiceProvider();
        var workerA = new OrchestrationProcessor(hubA, registry, services, NullLoggerFactory.Instance, "A");
        var workerB = new OrchestrationProcessor(hubB, registry, services, NullLoggerFactory.Instance, "B");
        var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Pair", cancellation: Ct);

        var queue = hubA.ControlQueueFor(id);
        QueueMessage[] raw = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), Ct)).Value;
        var messages = new List<ReceivedMessage>();
        foreach (var m in raw) messages.Add(new ReceivedMessage(queue, m, await TaskMessage.DecodeAsync(m.Body.ToString(), hubA.Payloads, Ct)));
        // Both believe they own the instance and run the same episode from the same history.
        var episodeA = await workerA.PrepareAsync(id, messages, Ct);
        var episodeB = await workerB.PrepareAsync(id, messages, Ct);
        Assert.Equal(EpisodeOutcome.Committed, await workerA.CommitAsync(episodeA, Ct));
        Assert.Equal(EpisodeOutcome.Conflict, await workerB.CommitAsync(episodeB, Ct));

        var history = await hubA.History.LoadAsync(id, Ct);
        Assert.Single(history.Events, e => e.EventType == EventType.OrchestratorStarted);
        Assert.Equal(2, history.Events.Count(e => e.EventType == EventType.TaskScheduled));

        // B's outbound activity messages were sent (step 1 precedes the history write) but its results are dropped.
        await using var worker = new DurableTaskWorker(storage.Account, options, registry);
        await worker.StartAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var result = await client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        Assert.Equal(2, result.ReadOutputAs<int>());
        history = await hubA.History.LoadAsync(id, Ct);
        Assert.Equal(2, history.Events.Count(e => e.EventType == EventType.TaskCompleted));
        Assert.Equal(4, runs);
    }

    [Fact]
    public async Task Stale_sentinel_etag_write_fails_atomically()
    {
        var options = DurableTestHost.TestOptions(storage);
        var hub = new TaskHub(storage.Account, options);
        await hub.CreateIfNotExistsAsync([], Ct);
        var start = new InstanceHistory("etag-test", null, [], null);
        var events = Enumerable.Range(0, 150).Select(i => new HistoryEvent(EventType.EventRaised) { Name = "e" + i, Timestamp = DateTime.UtcNow }).ToList();
        var first = await hub.History.CheckpointAsync(start, "exec1", events, true, Ct);
        Assert.NotNull(first);
        var loaded = await hub.History.LoadAsync("etag-test", Ct);
        Assert.Equal(150, loaded.Events.Count);
        // A second writer from the same starting point (no sentinel) must fail and write nothing.
        Assert.Null(await hub.History.CheckpointAsync(start, "exec2", events.Take(3).ToList(), true, Ct));
        var stale = loaded;
        var appended = await hub.History.CheckpointAsync(loaded, "exec1", events.Take(1).ToList(), false, Ct);
        Assert.NotNull(appended);
        Assert.Null(await hub.History.CheckpointAsync(stale, "exec1", events.Take(120).ToList(), false, Ct));
        Assert.Equal(151, (await hub.History.LoadAsync("etag-test", Ct)).Events.Count);
    }

    private async Task WaitForHistoryAsync(DurableTestHost host, string id, EventType type)
    {
        var hub = new TaskHub(storage.Account, host.Options);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (!(await hub.History.LoadAsync(id, cts.Token)).Events.Any(e => e.EventType == type))
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
