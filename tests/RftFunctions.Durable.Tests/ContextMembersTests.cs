using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>The context and activity members no other test pins down: identity, input, events between instances, replay-safe logging, ContinueAsNew without preserved events.</summary>
public sealed class ContextMembersTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Identity_input_parent_and_SendEvent_between_instances()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Receiver", async (ctx, _) => await ctx.WaitForExternalEvent<string>("ping"))
            .AddOrchestratorFunc<string, string>("Sender", (ctx, target) =>
            {
                ctx.SendEvent(target, "PING", $"{ctx.Name}@{ctx.InstanceId}:{ctx.GetInput<string>()}");
                return Task.FromResult("sent");
            })
            .AddOrchestratorFunc<object?, string>("Mom", async (ctx, _) =>
                await ctx.CallSubOrchestratorAsync<string>("Kid", new SubOrchestrationOptions(InstanceId: "kid-1")))
            .AddOrchestratorFunc<object?, string>("Kid", async (ctx, _) =>
                $"{ctx.Parent!.Name}|{ctx.Parent.InstanceId}|{ctx.Name}|{await ctx.CallActivityAsync<string>(nameof(Describe), ctx.InstanceId)}")
            .AddActivity<Describe>());

        var receiver = await host.Client.ScheduleNewOrchestrationInstanceAsync("Receiver", new StartOrchestrationOptions("recv-1"), Ct);
        await host.Client.WaitForInstanceStartAsync(receiver, Ct);
        Assert.Equal("sent", (await host.RunAsync("Sender", receiver, "send-1")).ReadOutputAs<string>());
        Assert.Equal("Sender@send-1:recv-1", (await host.WaitAsync(receiver)).ReadOutputAs<string>());

        Assert.Equal("Mom|mom-1|Kid|Describe|kid-1|default|1|kid-1", (await host.RunAsync("Mom", instanceId: "mom-1")).ReadOutputAs<string>());
    }

    /// <summary>A class-style activity reporting what its context says.</summary>
    private sealed class Describe : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) =>
            Task.FromResult($"{context.Name}|{context.InstanceId}|{context.Pool}|{context.DeliveryCount}|{input}");
    }

    [Fact]
    public async Task Replay_safe_logger_writes_each_line_once_while_IsReplaying_marks_replays()
    {
        var replaying = new ConcurrentQueue<bool>();
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<object?, int>("Logged", async (ctx, _) =>
            {
                replaying.Enqueue(ctx.IsReplaying);
                var log = ctx.CreateReplaySafeLogger("Logged");
                var sum = 0;
                for (int i = 0; i < 3; i++)
                {
                    log.LogInformation("step {Step}", i);
                    sum += await ctx.CallActivityAsync<int>("One", i);
                }
                log.LogInformation("done {Sum}", sum);
                return sum;
            })
            .AddActivityFunc<int, int>("One", (_, i) => i + 1);
        var lines = new ConcurrentQueue<string>();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new CapturingProvider("Logged", lines)));
        var options = DurableTestHost.TestOptions(storage);
        await using var worker = new DurableTaskWorker(storage.Account, options, registry, loggerFactory);
        await worker.StartAsync(Ct);
        await using var client = new AzureStorageDurableTaskClient(storage.Account, options);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Logged", Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        Assert.Equal(6, (await client.WaitForInstanceCompletionAsync(id, true, cts.Token)).ReadOutputAs<int>());

        // Four episodes (start + three results) ran the code from the top; only the first began fresh.
        Assert.True(replaying.Count >= 4, $"{replaying.Count} runs");
        Assert.False(replaying.First());
        Assert.All(replaying.Skip(1), Assert.True);
        Assert.Equal(["step 0", "step 1", "step 2", "done 6"], lines);
    }

    [Fact]
    public async Task ContinueAsNew_without_preserving_drops_unconsumed_events()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, string>("Forgetful", async (ctx, generation) =>
            {
                if (generation == 0)
                {
                    // The event arrives while this timer runs and is never consumed by generation 0.
                    await ctx.CreateTimer(TimeSpan.FromSeconds(1.5), CancellationToken.None);
                    ctx.ContinueAsNew(1, preserveUnprocessedEvents: false);
                    return "continued";
                }
                try
                {
                    return await ctx.WaitForExternalEvent<string>("carry", TimeSpan.FromSeconds(1));
                }
                catch (TaskCanceledException)
                {
                    return "dropped";
                }
            }));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Forgetful", 0, Ct);
        await host.Client.RaiseEventAsync(id, "carry", "kept?", Ct);
        var result = await host.WaitAsync(id);
        Assert.Equal("dropped", result.ReadOutputAs<string>());
        Assert.Equal(1, result.ReadInputAs<int>());
    }

    private sealed class CapturingProvider(string category, ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => categoryName == category ? new Capturing(lines) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class Capturing(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
