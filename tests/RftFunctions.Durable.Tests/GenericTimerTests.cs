using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>CreateTimer&lt;T&gt;(fireAt, state, token): the timer hands its state back, on the first run and on replays.</summary>
public sealed class GenericTimerTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Payload(int N, string Text);

    [Fact]
    public async Task Generic_timer_returns_its_state_when_it_fires_and_when_replayed()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<string, string>("Stateful", async (ctx, s) =>
            {
                var fireAt = ctx.CurrentUtcDateTime.AddMilliseconds(300);
                var first = await ctx.CreateTimer(fireAt, s + "-1", CancellationToken.None);
                // The episode that resumed here began at or after the fire time: the timer really waited.
                if (ctx.CurrentUtcDateTime < fireAt) throw new InvalidOperationException($"resumed at {ctx.CurrentUtcDateTime:o}, before {fireAt:o}");
                // The activity makes later episodes replay both timers from history rather than run them fresh.
                var echoed = await ctx.CallActivityAsync<string>("Echo", first);
                var second = await ctx.CreateTimer(ctx.CurrentUtcDateTime.AddMilliseconds(100), new Payload(7, echoed), CancellationToken.None);
                var third = await ctx.CallActivityAsync<string>("Echo", second.Text);
                return $"{first}|{second.N}:{second.Text}|{third}";
            })
            .AddActivityFunc<string, string>("Echo", (_, s) => s + "!"));
        var result = await host.RunAsync("Stateful", "a");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("a-1|7:a-1!|a-1!!", result.ReadOutputAs<string>());
        // Each generic timer is one ordinary durable timer in history: created once, fired once, no extra events.
        var history = (await host.Client.GetInstanceAsync(result.InstanceId, new GetInstanceOptions { GetHistory = true }, Ct))!.History!;
        Assert.Equal(2, history.Count(e => e.EventType == "TimerCreated"));
        Assert.Equal(2, history.Count(e => e.EventType == "TimerFired"));
        Assert.Equal(["TimerCreated", "TaskScheduled", "TimerCreated", "TaskScheduled"], history.Where(e => e.EventId >= 0).Select(e => e.EventType));
    }

    [Fact]
    public async Task Cancelled_generic_timer_lets_an_event_win_and_the_instance_finish()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Race", async (ctx, _) =>
            {
                using var cts = new CancellationTokenSource();
                var timeout = ctx.CreateTimer(ctx.CurrentUtcDateTime.AddHours(1), "timed out", cts.Token);
                var answer = ctx.WaitForExternalEvent<string>("answer");
                var winner = await Task.WhenAny(timeout, answer);
                cts.Cancel();
                return winner == answer ? await answer : await timeout;
            }));
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Race", Ct);
        await host.Client.WaitForInstanceStartAsync(id, Ct);
        await host.Client.RaiseEventAsync(id, "answer", "42", Ct);
        // Bounded well below the hour the timer would take: the cancelled timer does not hold the instance open.
        var result = await host.WaitAsync(id, TimeSpan.FromSeconds(60));
        Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
        Assert.Equal("42", result.ReadOutputAs<string>());
    }
}
