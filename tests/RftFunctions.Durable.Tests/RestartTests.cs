using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>RestartAsync: same orchestrator and input, under the same id once finished or under a new id at once.</summary>
public sealed class RestartTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Order(string Item, int Count);

    [Fact]
    public async Task Restart_reruns_with_the_same_input_and_refuses_a_running_instance_under_its_own_id()
    {
        var runs = 0;
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<Order, string>("Place", async (ctx, order) =>
                $"{order.Count}x{order.Item}#{await ctx.CallActivityAsync<int>("Count")}")
            .AddOrchestratorFunc<object?, string>("Hold", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go"))
            .AddActivityFunc<object?, int>("Count", (_, _) => Interlocked.Increment(ref runs)));
        Assert.Equal("3xtea#1", (await host.RunAsync("Place", new Order("tea", 3), "order-1")).ReadOutputAs<string>());

        Assert.Equal("order-1", await host.Client.RestartAsync("order-1", cancellation: Ct));
        var again = await host.WaitAsync("order-1");
        Assert.Equal("3xtea#2", again.ReadOutputAs<string>());
        Assert.Equal(new Order("tea", 3), again.ReadInputAs<Order>());

        var copy = await host.Client.RestartAsync("order-1", restartWithNewInstanceId: true, Ct);
        Assert.NotEqual("order-1", copy);
        Assert.Equal("3xtea#3", (await host.WaitAsync(copy)).ReadOutputAs<string>());

        await host.Client.ScheduleNewOrchestrationInstanceAsync("Hold", new StartOrchestrationOptions("held"), Ct);
        await host.Client.WaitForInstanceStartAsync("held", Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => host.Client.RestartAsync("held", cancellation: Ct));
        Assert.Equal("instanceId", (await Assert.ThrowsAsync<ArgumentException>(() => host.Client.RestartAsync("nope", cancellation: Ct))).ParamName);
    }
}
