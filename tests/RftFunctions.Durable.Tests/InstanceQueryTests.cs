using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>OrchestrationQuery's CreatedTo, FetchInputsAndOutputs and a continuation token passed in the query itself.</summary>
public sealed class InstanceQueryTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Created_time_bounds_payload_fetching_and_resuming_from_a_token()
    {
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<int, int>("Echo", (_, n) => Task.FromResult(n)));
        await host.RunAsync("Echo", 0, "q-0");
        // Created times come from this machine's clock, as the client stamps them at scheduling.
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(20, Ct);
        await host.RunAsync("Echo", 1, "q-1");
        await host.RunAsync("Echo", 2, "q-2");

        Assert.Equal(["q-0"], (await host.Client.GetAllInstancesAsync(new OrchestrationQuery(CreatedTo: between)).ToListAsync(Ct)).Select(m => m.InstanceId));
        Assert.Equal(["q-1", "q-2"], (await host.Client.GetAllInstancesAsync(new OrchestrationQuery(CreatedFrom: between)).ToListAsync(Ct)).Select(m => m.InstanceId).Order());

        var bare = await host.Client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: "q-")).ToListAsync(Ct);
        Assert.All(bare, m => Assert.Null(m.SerializedInput));
        var full = await host.Client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: "q-", FetchInputsAndOutputs: true)).ToListAsync(Ct);
        Assert.Equal([0, 1, 2], full.OrderBy(m => m.InstanceId).Select(m => m.ReadOutputAs<int>()));
        Assert.Equal([0, 1, 2], full.OrderBy(m => m.InstanceId).Select(m => m.ReadInputAs<int>()));

        string? token = null;
        var first = new List<string>();
        await foreach (var page in host.Client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: "q-", PageSize: 2)).AsPages())
        {
            first.AddRange(page.Values.Select(m => m.InstanceId));
            token = page.ContinuationToken;
            break;
        }
        Assert.Equal(2, first.Count);
        Assert.NotNull(token);
        var rest = await host.Client.GetAllInstancesAsync(new OrchestrationQuery(InstanceIdPrefix: "q-", PageSize: 2, ContinuationToken: token)).ToListAsync(Ct);
        Assert.Equal(["q-0", "q-1", "q-2"], first.Concat(rest.Select(m => m.InstanceId)).Order());
    }
}
