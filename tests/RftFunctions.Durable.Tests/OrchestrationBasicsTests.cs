using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class OrchestrationBasicsTests(StorageFixture storage)
{
    private sealed class Greeter : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            var a = await context.CallActivityAsync<string>("Shout", input);
            var b = await context.CallActivityAsync<string>("shout", a + "!"); // names are case-insensitive
            context.SetCustomStatus(new { step = 2 });
            return b;
        }
    }

    [Fact]
    public async Task Activity_chain_returns_output_input_and_custom_status()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestrator<Greeter>()
            .AddActivityFunc<string, string>("Shout", (_, s) => s.ToUpperInvariant()));
        var result = await host.RunAsync(nameof(Greeter), "hi");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("HI!", result.ReadOutputAs<string>());
        Assert.Equal("hi", result.ReadInputAs<string>());
        Assert.Equal(2, result.ReadCustomStatusAs<System.Text.Json.JsonElement>().GetProperty("step").GetInt32());
        Assert.Equal(nameof(Greeter), result.Name);
        Assert.True(result.IsCompleted);
        Assert.False(result.IsRunning);
    }

    [Fact]
    public async Task Fan_out_fan_in_sees_every_result()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, int[]>("FanOut", async (ctx, n) =>
                await Task.WhenAll(Enumerable.Range(0, n).Select(i => ctx.CallActivityAsync<int>("Square", i))))
            .AddActivityFunc<int, int>("Square", (_, i) => i * i));
        var result = await host.RunAsync("FanOut", 50);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * i), result.ReadOutputAs<int[]>());
    }

    [Fact]
    public async Task Activity_failure_surfaces_as_TaskFailedException_with_details()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("CatchIt", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync("Boom");
                    return "no failure";
                }
                catch (TaskFailedException ex)
                {
                    return $"{ex.TaskName}|{ex.FailureDetails.ErrorType}|{ex.FailureDetails.ErrorMessage}|{ex.FailureDetails.IsCausedBy<InvalidOperationException>()}";
                }
            })
            .AddOrchestratorFunc<object?, string>("Uncaught", async (ctx, _) => { await ctx.CallActivityAsync("Boom"); return "unreachable"; })
            .AddActivityFunc<object?>("Boom", (_, _) => throw new InvalidOperationException("kaput")));
        var caught = await host.RunAsync("CatchIt");
        Assert.Equal("Boom|System.InvalidOperationException|kaput|True", caught.ReadOutputAs<string>());
        var failed = await host.RunAsync("Uncaught");
        Assert.Equal(OrchestrationRuntimeStatus.Failed, failed.RuntimeStatus);
        Assert.Equal(typeof(TaskFailedException).FullName, failed.FailureDetails!.ErrorType);
        Assert.Equal("kaput", failed.FailureDetails.InnerFailure!.ErrorMessage);
    }

    [Fact]
    public async Task Timer_delays_and_current_time_is_deterministic()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, double>("Sleeper", async (ctx, _) =>
            {
                var before = ctx.CurrentUtcDateTime;
                await ctx.CreateTimer(TimeSpan.FromSeconds(1.5), CancellationToken.None);
                return (ctx.CurrentUtcDateTime - before).TotalSeconds;
            }));
        var result = await host.RunAsync("Sleeper");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.True(result.ReadOutputAs<double>() >= 1.5, $"timer fired after {result.ReadOutputAs<double>()} s");
    }

    [Fact]
    public async Task Timers_longer_than_the_chunk_hop_until_due()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, double>("LongSleeper", async (ctx, _) =>
            {
                var before = ctx.CurrentUtcDateTime;
                await ctx.CreateTimer(TimeSpan.FromSeconds(3), CancellationToken.None);
                return (ctx.CurrentUtcDateTime - before).TotalSeconds;
            }), o => o with { StorageProvider = o.StorageProvider with { MaxTimerChunk = TimeSpan.FromSeconds(1) } });
        var result = await host.RunAsync("LongSleeper");
        Assert.True(result.ReadOutputAs<double>() >= 3, $"timer fired after {result.ReadOutputAs<double>()} s");
    }

    [Fact]
    public async Task NewGuid_is_deterministic_across_replays_and_version_5()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string[]>("Guids", async (ctx, _) =>
            {
                var first = ctx.NewGuid();
                await ctx.CallActivityAsync("Noop");
                var second = ctx.NewGuid();
                await ctx.CallActivityAsync("Noop");
                // After two replays the first GUIDs must be what they were when first made.
                return [first.ToString(), second.ToString(), ctx.NewGuid().ToString()];
            })
            .AddActivityFunc<object?, int>("Noop", (_, _) => 0));
        var result = await host.RunAsync("Guids", instanceId: "guid-instance");
        var guids = result.ReadOutputAs<string[]>()!;
        Assert.Equal(3, guids.Distinct().Count());
        Assert.All(guids, g => Assert.Equal('5', g[14]));
    }

    [Fact]
    public async Task Scheduled_start_stays_pending_until_StartAt()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, DateTime>("Later", (ctx, _) => Task.FromResult(ctx.CurrentUtcDateTime)));
        var startAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Later", new StartOrchestrationOptions(StartAt: startAt), TestContext.Current.CancellationToken);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, (await host.Client.GetInstanceAsync(id, cancellation: TestContext.Current.CancellationToken))!.RuntimeStatus);
        var result = await host.WaitAsync(id);
        Assert.True(result.ReadOutputAs<DateTime>() >= startAt.UtcDateTime, $"started at {result.ReadOutputAs<DateTime>():o}, before {startAt:o}");
    }

    [Fact]
    public async Task Unknown_orchestrator_fails_the_instance_with_a_reason()
    {
        await using var host = await DurableTestHost.StartAsync(storage, _ => { });
        var result = await host.RunAsync("NoSuchOrchestrator");
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("OrchestratorNotFound", result.FailureDetails!.ErrorType);
        Assert.Contains("NoSuchOrchestrator", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_instance_is_null_and_duplicate_running_id_is_rejected()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("WaitsForever", async (ctx, _) => await ctx.WaitForExternalEvent<string>("never")));
        Assert.Null(await host.Client.GetInstanceAsync("nobody", cancellation: TestContext.Current.CancellationToken));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("WaitsForever", null, new StartOrchestrationOptions("dup"), TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<OrchestrationAlreadyExistsException>(() =>
            host.Client.ScheduleNewOrchestrationInstanceAsync("WaitsForever", null, new StartOrchestrationOptions(id), TestContext.Current.CancellationToken));
        await host.Client.TerminateInstanceAsync(id, "done", TestContext.Current.CancellationToken);
        var terminated = await host.WaitAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
    }
}
