using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;
using RftFunctions.Durable.Worker;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>
/// Messages a worker sends to itself (results to a partition it holds, work items to a pool it serves) skip the
/// receive but are still stored hidden, so a crash loses nothing; histories it committed are reused without a read
/// only while it holds the partition without interruption.
/// </summary>
public sealed class LocalHandOffTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_control_message_handed_to_a_partition_holder_that_dies_is_stored_hidden_and_processed_by_the_next_holder()
    {
        var options = DurableTestHost.TestOptions(storage, o => o with
        {
            StorageProvider = o.StorageProvider with { ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(2) },
        });
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, string>("AwaitsGo", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go"));
        await using var worker = new DurableTaskWorker(storage.Account, options, registry);
        await worker.StartAsync(Ct);
        await using var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("AwaitsGo", cancellation: Ct);
        await client.WaitForInstanceStartAsync(id, Ct);

        // A second worker's hub that believes it holds the partition: the event goes to its inbox and nowhere else.
        var dead = new TaskHub(storage.Account, options);
        var queue = dead.ControlQueueFor(id);
        var inbox = dead.Local.OpenInbox(queue.Name);
        await dead.SendToInstanceAsync(id, new HistoryEvent(EventType.EventRaised) { Name = "go", Input = "\"from the dead\"" }, null, Ct);
        var handed = Assert.Single(inbox.TakeAll());
        Assert.Equal("go", handed.Message.Event.Name);
        // What the queue holds says it was handed off, so its next receive counts the hand-off as a delivery.
        var stored = await handed.Stored;
        Assert.Equal(0, stored.DequeueCount);
        var message = await TaskMessage.DecodeAsync(stored.Body.ToString(), dead.Payloads, Ct);
        Assert.True(message.HandedOff);
        Assert.Equal(2, message.Deliveries(1));
        Assert.Empty((await queue.PeekMessagesAsync(10, Ct)).Value); // hidden from the real holder for now

        // Its holder never processes it (a crash); once the visibility runs out, the real holder does.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var done = await client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("from the dead", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task A_work_item_handed_to_the_local_pool_counts_as_a_delivery_when_it_is_redelivered()
    {
        var options = DurableTestHost.TestOptions(storage, o => o with
        {
            ActivityStopGracePeriod = TimeSpan.FromMilliseconds(200),
            StorageProvider = o.StorageProvider with { WorkItemQueueVisibilityTimeout = TimeSpan.FromMinutes(5) },
            WorkerPools = new() { ["local"] = 1 },
        });
        var deliveries = new ConcurrentQueue<int>();
        var firstStarted = new SemaphoreSlim(0);
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, int>("CallsOnce", async (ctx, _) => await ctx.CallActivityAsync<int>("Counts"))
            .AddActivityFunc<object?, int>("Counts", async (ctx, _) =>
            {
                deliveries.Enqueue(ctx.DeliveryCount);
                if (ctx.DeliveryCount == 1)
                {
                    // The worker is stopped mid-activity: it gives the work item back without a result.
                    firstStarted.Release();
                    await Task.Delay(Timeout.Infinite, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
                }
                return ctx.DeliveryCount;
            }, pool: "local");
        await using var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var first = new DurableTaskWorker(storage.Account, options, registry);
        await first.StartAsync(Ct);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("CallsOnce", cancellation: Ct);
        Assert.True(await firstStarted.WaitAsync(TimeSpan.FromSeconds(60), Ct), "the activity never started");
        await first.StopAsync(Ct).WaitAsync(TimeSpan.FromSeconds(60), Ct);

        await using var second = new DurableTaskWorker(storage.Account, options, registry);
        await second.StartAsync(Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var done = await client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        // The queue dequeued it once; the hand-off was the first delivery, so the activity sees 2.
        Assert.Equal(2, done.ReadOutputAs<int>());
        Assert.Equal([1, 2], deliveries.ToArray());
        await first.DisposeAsync();
    }

    [Fact]
    public async Task Hand_offs_never_run_more_activities_of_a_pool_at_once_than_its_limit()
    {
        var running = 0;
        var most = 0;
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, int>("FanOut", async (ctx, _) =>
            {
                var first = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => ctx.CallActivityAsync<int>("Busy", i)));
                // Each result wakes an episode that schedules one more while the pool is busy.
                var more = new List<Task<int>>();
                foreach (var i in first) more.Add(ctx.CallActivityAsync<int>("Busy", i + 10));
                return first.Sum() + (await Task.WhenAll(more)).Sum();
            })
            .AddActivityFunc<int, int>("Busy", async (_, i) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                await Task.Delay(20);
                Interlocked.Decrement(ref running);
                return i;
            }, pool: "pair"), o => o with { WorkerPools = new() { ["pair"] = 2 } });
        var done = await host.RunAsync("FanOut");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(28 + 108, done.ReadOutputAs<int>());
        Assert.Equal(2, most);
    }

    [Fact]
    public async Task A_worker_that_holds_its_partition_again_after_another_worker_extended_the_history_reloads_it()
    {
        var options = DurableTestHost.TestOptions(storage) with { ExtendedSessionsEnabled = true };
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, int>("Sums", async (ctx, _) =>
            {
                var total = 0;
                for (int i = 0; i < 4; i++)
                {
                    var n = await ctx.WaitForExternalEvent<int>("next");
                    total = await ctx.CallActivityAsync<int>("Add", new[] { total, n });
                    ctx.SetCustomStatus(total);
                }
                return total;
            })
            .AddActivityFunc<int[], int>("Add", (_, xs) => xs.Sum());
        using var episodes = new EpisodeRecorder();
        await using var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var a = new DurableTaskWorker(storage.Account, options, registry);
        await a.StartAsync(Ct);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Sums", cancellation: Ct);
        await client.RaiseEventAsync(id, "next", 1, Ct);
        await WaitForTotalAsync(client, id, 1);
        await client.RaiseEventAsync(id, "next", 2, Ct);
        await WaitForTotalAsync(client, id, 3);
        // While A held the partition throughout, it replayed from memory.
        Assert.Contains(episodes.Of(id), e => e.History == "memory");
        await a.StopAsync(Ct);

        // B extends the history A still holds in memory.
        var b = new DurableTaskWorker(storage.Account, options, registry);
        await b.StartAsync(Ct);
        await client.RaiseEventAsync(id, "next", 3, Ct);
        await WaitForTotalAsync(client, id, 6);
        await b.StopAsync(Ct);
        await b.DisposeAsync();

        // A holds the partition again: its copy is stale and must not be used.
        var restarted = DateTime.UtcNow;
        await a.StartAsync(Ct);
        await client.RaiseEventAsync(id, "next", 4, Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var done = await client.WaitForInstanceCompletionAsync(id, true, cts.Token);
        Assert.Equal(10, done.ReadOutputAs<int>());
        var afterRestart = episodes.Of(id).Where(e => e.Start >= restarted).OrderBy(e => e.Start).ToList();
        Assert.NotEmpty(afterRestart);
        Assert.Equal("storage", afterRestart[0].History);
        Assert.DoesNotContain(episodes.Of(id), e => e.Outcome != nameof(EpisodeOutcome.Committed));
        await a.DisposeAsync();
    }

    [Fact]
    public async Task A_handed_off_work_item_whose_send_failed_runs_but_reports_nothing()
    {
        var options = DurableTestHost.TestOptions(storage);
        var hub = new TaskHub(storage.Account, options);
        await hub.CreateIfNotExistsAsync(["handed"], Ct);
        var ran = new ConcurrentQueue<string>();
        var registry = new DurableTaskRegistry().AddActivityFunc<string, string>("Echo", (ctx, s) =>
        {
            ran.Enqueue(ctx.InstanceId);
            return s;
        }, pool: "handed");
        var processor = new ActivityProcessor(hub, registry, new ServiceCollection().BuildServiceProvider(), NullLogger.Instance, "handed", 1);
        using var stop = new CancellationTokenSource();
        var loop = processor.RunAsync(stop.Token);
        HistoryEvent Scheduled(string input) => new(EventType.TaskScheduled) { EventId = 0, Name = "Echo", Input = input, Pool = "handed", ExecutionId = "e1" };

        // The activity starts before its send returns; when the send fails, its result must not be reported (the
        // episode that sent it fails and schedules it again).
        var lost = "lost-" + Guid.NewGuid().ToString("N");
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            while (!processor.TryReserveSlot()) await Task.Delay(10, cts.Token);
        }
        processor.RunReserved(new TaskMessage(lost, Scheduled("\"b\"")) { HandedOff = true }, Task.FromException<QueueMessage>(new RequestFailedException(500, "the send failed")));
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(60), Ct); // waits for the run to settle

        Assert.Equal([lost], ran.ToArray());
        async Task<List<TaskMessage>> ResultsFor(string id)
        {
            var peeked = (await hub.ControlQueueFor(id).PeekMessagesAsync(32, Ct)).Value;
            var decoded = new List<TaskMessage>();
            foreach (var m in peeked) decoded.Add(await TaskMessage.DecodeAsync(m.Body.ToString(), hub.Payloads, Ct));
            return [.. decoded.Where(m => m.InstanceId == id)];
        }
        Assert.Empty(await ResultsFor(lost));
    }

    [Fact]
    public async Task A_hand_off_takes_the_slot_a_pool_of_one_holds_only_to_poll_and_the_limit_still_holds()
    {
        var slots = new PoolSlots(1);
        await slots.AcquireForPollAsync(Ct);
        Assert.True(slots.TryReserve()); // the receive loop is polling: the hand-off gets its slot
        Assert.False(slots.TryReserve()); // and no more than the one slot exists
        Assert.False(slots.KeepPollSlot()); // the poll that returns messages must wait for a slot of its own
        var waiting = slots.AcquireAsync(Ct);
        Assert.False(waiting.IsCompleted);
        slots.Release(); // the handed-off activity finishes
        await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        slots.Release();

        // A poll that found nothing gives its slot back unless a hand-off took it; either way one slot remains.
        await slots.AcquireForPollAsync(Ct);
        slots.ReleasePollSlot();
        Assert.Equal(1, slots.Free);
        await slots.AcquireForPollAsync(Ct);
        Assert.True(slots.TryReserve());
        slots.ReleasePollSlot();
        Assert.Equal(0, slots.Free);
        slots.Release();
        Assert.Equal(1, slots.Free);
        await slots.AcquireForPollAsync(Ct);
        Assert.True(slots.KeepPollSlot()); // not taken: the loop runs its first message in it
        Assert.False(slots.TryReserve());
    }

    [Fact]
    public async Task Stopping_a_worker_finishes_the_rows_and_deletes_of_episodes_whose_history_is_written()
    {
        var options = DurableTestHost.TestOptions(storage);
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, int>("Counts", async (ctx, _) =>
            {
                var last = 0;
                for (int i = 0; i < 3; i++)
                {
                    last = await ctx.WaitForExternalEvent<int>("n");
                    ctx.SetCustomStatus(last);
                }
                return last;
            });
        await using var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var worker = new DurableTaskWorker(storage.Account, options, registry);
        await worker.StartAsync(Ct);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Counts", cancellation: Ct);
        await client.WaitForInstanceStartAsync(id, Ct);
        var hub = new TaskHub(storage.Account, options);
        await client.RaiseEventAsync(id, "n", 7, Ct);
        // Stop as soon as the history holds the event: the episode's row and deletes may still be under way.
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            while (!(await hub.History.LoadAsync(id, cts.Token)).Events.Any(e => e.EventType == EventType.EventRaised)) await Task.Yield();
        }
        await worker.StopAsync(Ct);

        Assert.Equal(7, (await client.GetInstanceAsync(id, true, Ct))!.ReadCustomStatusAs<int>());
        var control = await hub.ControlQueueFor(id).GetPropertiesAsync(Ct);
        Assert.Equal(0, control.Value.ApproximateMessagesCount); // hidden, undeleted messages would count too
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task Instance_rows_never_go_back_in_time_while_episodes_finish_in_the_background()
    {
        const int Steps = 40;
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, int>("Steps", async (ctx, _) =>
            {
                for (int i = 1; i <= Steps; i++)
                {
                    await ctx.CallActivityAsync<int>("Nothing", i);
                    ctx.SetCustomStatus(i);
                }
                return Steps;
            })
            .AddActivityFunc<int, int>("Nothing", (_, i) => i));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Steps", cancellation: Ct);
        var seen = new List<int>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            var row = await host.Client.GetInstanceAsync(id, true, cts.Token);
            if (row?.ReadCustomStatusAs<int?>() is { } status) seen.Add(status);
            if (row?.RuntimeStatus == OrchestrationRuntimeStatus.Completed) break;
        }
        Assert.Equal(Steps, seen[^1]);
        Assert.Equal(seen.Order(), seen); // each row write waits for the same instance's previous one
    }

    [Fact]
    public async Task A_partition_session_chains_each_instances_episode_tails_and_drains_them_all()
    {
        var session = new PartitionSession(0, DateTimeOffset.UtcNow.AddMinutes(1), TimeSpan.FromMinutes(1));
        Assert.True(session.TailOf("a").IsCompleted);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.TrackTail("a", first.Task);
        Assert.Same(first.Task, session.TailOf("a")); // the next episode of "a" writes its row after this one
        Assert.True(session.TailOf("b").IsCompleted);
        var draining = session.DrainAsync();
        Assert.False(draining.IsCompleted); // the partition is not given up while a tail runs
        first.SetResult();
        await draining.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(session.TailOf("a").IsCompleted);
    }

    [Fact]
    public void A_partition_session_trusts_its_memory_only_while_at_least_half_the_lease_is_left()
    {
        var t0 = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        var interval = TimeSpan.FromSeconds(30);
        var session = new PartitionSession(3, t0 + interval, interval);
        Assert.Equal(3, session.Partition);
        Assert.True(session.LeaseSurelyHeld(t0));
        Assert.True(session.LeaseSurelyHeld(t0 + TimeSpan.FromSeconds(14)));
        Assert.False(session.LeaseSurelyHeld(t0 + TimeSpan.FromSeconds(16)));
        Assert.False(session.LeaseSurelyHeld(t0 + TimeSpan.FromSeconds(40))); // expired
        session.Renewed(t0 + TimeSpan.FromSeconds(16) + interval);
        Assert.True(session.LeaseSurelyHeld(t0 + TimeSpan.FromSeconds(16)));
    }

    private static async Task WaitForTotalAsync(DurableTaskClient client, string id, int total)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        while ((await client.GetInstanceAsync(id, true, cts.Token))?.ReadCustomStatusAs<int?>() != total)
        {
            await Task.Delay(50, cts.Token);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    /// <summary>The runtime's episode spans of this process, with where each episode's history came from.</summary>
    private sealed class EpisodeRecorder : IDisposable
    {
        private readonly ConcurrentQueue<(string Instance, string? History, string? Outcome, DateTime Start)> _episodes = new();
        private readonly ActivityListener _listener;

        public EpisodeRecorder()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == DurableTracing.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a =>
                {
                    if (a.OperationName == DurableTracing.EpisodeSpan && a.GetTagItem("instance") is string instance)
                    {
                        _episodes.Enqueue((instance, a.GetTagItem("history") as string, a.GetTagItem("outcome") as string, a.StartTimeUtc));
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public List<(string Instance, string? History, string? Outcome, DateTime Start)> Of(string instance) => [.. _episodes.Where(e => e.Instance == instance)];

        public void Dispose() => _listener.Dispose();
    }
}
