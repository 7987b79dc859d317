using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class EventsAndControlTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Events_sent_before_the_wait_are_buffered_and_names_are_case_insensitive()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Approval", async (ctx, _) =>
            {
                // The events are raised while this timer runs, so they arrive before anyone waits.
                await ctx.CreateTimer(TimeSpan.FromSeconds(1), CancellationToken.None);
                var first = await ctx.WaitForExternalEvent<string>("approve");
                var second = await ctx.WaitForExternalEvent<string>("APPROVE");
                return first + "," + second;
            }));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Approval", cancellation: Ct);
        await host.Client.RaiseEventAsync(id, "Approve", "one", Ct);
        await host.Client.RaiseEventAsync(id, "aPPROVE", "two", Ct);
        var result = await host.WaitAsync(id);
        Assert.Equal("one,two", result.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Waiting_for_an_event_times_out_with_TaskCanceledException()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Impatient", async (ctx, _) =>
            {
                try
                {
                    return await ctx.WaitForExternalEvent<string>("never", TimeSpan.FromSeconds(1));
                }
                catch (TaskCanceledException)
                {
                    return "timed out";
                }
            })
            .AddOrchestratorFunc<object?, string>("Patient", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go", TimeSpan.FromMinutes(5))));
        Assert.Equal("timed out", (await host.RunAsync("Impatient")).ReadOutputAs<string>());
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Patient", cancellation: Ct);
        await host.Client.WaitForInstanceStartAsync(id, cancellation: Ct);
        await host.Client.RaiseEventAsync(id, "go", "went", Ct);
        Assert.Equal("went", (await host.WaitAsync(id)).ReadOutputAs<string>());
    }

    [Fact]
    public async Task Retry_policy_retries_with_durable_backoff_until_success()
    {
        var attempts = 0;
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Retrying", async (ctx, _) =>
                await ctx.CallActivityAsync<string>("Flaky", null, TaskOptions.FromRetryPolicy(new RetryPolicy(4, TimeSpan.FromMilliseconds(200), 2.0))))
            .AddOrchestratorFunc<object?, string>("GivesUp", async (ctx, _) =>
            {
                try
                {
                    await ctx.CallActivityAsync<string>("AlwaysFails", null, TaskOptions.FromRetryPolicy(new RetryPolicy(2, TimeSpan.FromMilliseconds(100))));
                    return "no";
                }
                catch (TaskFailedException ex)
                {
                    return ex.FailureDetails.ErrorMessage;
                }
            })
            .AddOrchestratorFunc<object?, int>("Handled", async (ctx, _) =>
            {
                var seen = 0;
                try
                {
                    await ctx.CallActivityAsync("AlwaysFails", null, TaskOptions.FromRetryHandler(rc => { seen = rc.LastAttemptNumber; return rc.LastAttemptNumber < 3; }));
                }
                catch (TaskFailedException)
                {
                }
                return seen;
            })
            .AddActivityFunc<object?, string>("Flaky", (_, _) => Interlocked.Increment(ref attempts) < 3 ? throw new TimeoutException("not yet") : "ok")
            .AddActivityFunc<object?, string>("AlwaysFails", (_, _) => Nope()));
        Assert.Equal("ok", (await host.RunAsync("Retrying")).ReadOutputAs<string>());
        Assert.Equal(3, attempts);
        Assert.Equal("nope", (await host.RunAsync("GivesUp")).ReadOutputAs<string>());
        Assert.Equal(3, (await host.RunAsync("Handled")).ReadOutputAs<int>());
    }

    [Fact]
    public async Task Sub_orchestration_results_and_failures_propagate_to_the_parent()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, int>("Child", async (ctx, n) =>
            {
                if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), "negative");
                Assert.NotNull(ctx.Parent);
                return await ctx.CallActivityAsync<int>("Double", n);
            })
            .AddOrchestratorFunc<object?, string>("Parent", async (ctx, _) =>
            {
                var ok = await ctx.CallSubOrchestratorAsync<int>("Child", 21, new SubOrchestrationOptions(InstanceId: ctx.InstanceId + ":child"));
                try
                {
                    await ctx.CallSubOrchestratorAsync<int>("Child", -1);
                    return "no failure";
                }
                catch (TaskFailedException ex)
                {
                    return $"{ok}|{ex.FailureDetails.ErrorType}|{ex.FailureDetails.ErrorMessage.Contains("negative", StringComparison.Ordinal)}";
                }
            })
            .AddActivityFunc<int, int>("Double", (_, n) => n * 2));
        var result = await host.RunAsync("Parent", instanceId: "parent1");
        Assert.Equal("42|System.ArgumentOutOfRangeException|True", result.ReadOutputAs<string>());
        var child = await host.Client.GetInstanceAsync("parent1:child", true, Ct);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, child!.RuntimeStatus);
    }

    [Fact]
    public async Task ContinueAsNew_restarts_with_new_input_and_keeps_unprocessed_events()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, string>("Counter", async (ctx, n) =>
            {
                if (n < 3)
                {
                    // Generation 0 waits for its timer while both events arrive; it consumes none of them.
                    if (n == 0) await ctx.CreateTimer(TimeSpan.FromSeconds(1.5), CancellationToken.None);
                    ctx.ContinueAsNew(n + 1);
                    return "continued";
                }
                var a = await ctx.WaitForExternalEvent<string>("carry");
                var b = await ctx.WaitForExternalEvent<string>("carry");
                return $"{n}:{a}{b}";
            }));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Counter", 0, cancellation: Ct);
        await host.Client.RaiseEventAsync(id, "carry", "x", Ct);
        await host.Client.RaiseEventAsync(id, "carry", "y", Ct);
        var result = await host.WaitAsync(id);
        Assert.Equal("3:xy", result.ReadOutputAs<string>());
        Assert.Equal(3, result.ReadInputAs<int>());
    }

    [Fact]
    public async Task Suspend_holds_events_until_resume_and_terminate_ends_the_instance()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Suspendable", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go"))
            .AddOrchestratorFunc<object?, string>("Endless", async (ctx, _) => await ctx.WaitForExternalEvent<string>("never")));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Suspendable", cancellation: Ct);
        await host.Client.WaitForInstanceStartAsync(id, cancellation: Ct);
        await host.Client.SuspendInstanceAsync(id, "maintenance", Ct);
        await WaitForStatusAsync(host, id, OrchestrationRuntimeStatus.Suspended);
        await host.Client.RaiseEventAsync(id, "go", "went", Ct);
        // The event is recorded but held: the instance stays suspended.
        await Task.Delay(1000, Ct);
        Assert.Equal(OrchestrationRuntimeStatus.Suspended, (await host.Client.GetInstanceAsync(id, cancellation: Ct))!.RuntimeStatus);
        await host.Client.ResumeInstanceAsync(id, "done", Ct);
        Assert.Equal("went", (await host.WaitAsync(id)).ReadOutputAs<string>());

        var endless = await host.Client.ScheduleNewOrchestrationInstanceAsync("Endless", cancellation: Ct);
        await host.Client.WaitForInstanceStartAsync(endless, cancellation: Ct);
        await host.Client.TerminateInstanceAsync(endless, "stopped by test", Ct);
        var terminated = await host.WaitAsync(endless);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Equal("stopped by test", terminated.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Recursive_terminate_also_terminates_children()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Waiter", async (ctx, _) => await ctx.WaitForExternalEvent<string>("never"))
            .AddOrchestratorFunc<object?, string>("Tree", async (ctx, _) =>
                await ctx.CallSubOrchestratorAsync<string>("Waiter", null, new SubOrchestrationOptions(InstanceId: "tree-child"))));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Tree", null, new StartOrchestrationOptions("tree-root"), Ct);
        await WaitForStatusAsync(host, "tree-child", OrchestrationRuntimeStatus.Running);
        await host.Client.TerminateInstanceAsync(id, new TerminateInstanceOptions("cut", Recursive: true), Ct);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await host.WaitAsync(id)).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await host.WaitAsync("tree-child")).RuntimeStatus);
    }

    [Fact]
    public async Task Queries_page_and_filter_and_purge_removes_finished_instances()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, int>("Echo", (_, n) => Task.FromResult(n)));
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (int i = 0; i < 5; i++) await host.RunAsync("Echo", i, instanceId: $"batch-{i}");
        await host.RunAsync("Echo", 9, instanceId: "other-1");

        var pages = new List<int>();
        var seen = new List<string>();
        await foreach (var page in host.Client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: "batch-", PageSize: 2)).AsPages())
        {
            pages.Add(page.Values.Count);
            seen.AddRange(page.Values.Select(m => m.InstanceId));
        }
        Assert.Equal([2, 2, 1], pages);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"batch-{i}"), seen.Order());

        var completed = await host.Client.GetAllInstancesAsync(new OrchestrationQuery(CreatedFrom: before, Statuses: [OrchestrationRuntimeStatus.Completed])).ToListAsync(Ct);
        Assert.Equal(6, completed.Count);
        var none = await host.Client.GetAllInstancesAsync(new OrchestrationQuery(Statuses: [OrchestrationRuntimeStatus.Failed])).ToListAsync(Ct);
        Assert.Empty(none);

        Assert.Equal(1, (await host.Client.PurgeInstanceAsync("other-1", Ct)).PurgedInstanceCount);
        Assert.Null(await host.Client.GetInstanceAsync("other-1", cancellation: Ct));
        Assert.Equal(0, (await host.Client.PurgeInstanceAsync("other-1", Ct)).PurgedInstanceCount);
        Assert.Equal(5, (await host.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(CreatedFrom: before), Ct)).PurgedInstanceCount);
        Assert.Empty(await host.Client.GetAllInstancesAsync().ToListAsync(Ct));
    }

    private static string Nope() => throw new InvalidOperationException("nope");

    internal static async Task WaitForStatusAsync(DurableTestHost host, string id, OrchestrationRuntimeStatus status)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await host.Client.GetInstanceAsync(id, cancellation: cts.Token))?.RuntimeStatus != status)
        {
            await Task.Delay(50, cts.Token);
        }
    }
}
