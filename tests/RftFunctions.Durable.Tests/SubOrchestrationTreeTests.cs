using Azure.Data.Tables;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>Recursive terminate and purge over a root -> middle -> leaf tree of sub-orchestrations.</summary>
public sealed class SubOrchestrationTreeTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Root calls Middle ("{root}:mid"), which calls Leaf ("{root}:mid:leaf"), which waits for "go" unless its input says otherwise.</summary>
    private static void RegisterTree(DurableTaskRegistry r) => r
        .AddOrchestratorFunc<bool, string>("Leaf", async (ctx, wait) =>
            wait ? await ctx.WaitForExternalEvent<string>("go") : await ctx.CallActivityAsync<string>("Big", ctx.InstanceId))
        .AddOrchestratorFunc<bool, string>("Middle", async (ctx, wait) =>
            "mid(" + await ctx.CallSubOrchestratorAsync<string>("Leaf", wait, new SubOrchestrationOptions(InstanceId: ctx.InstanceId + ":leaf")) + ")")
        .AddOrchestratorFunc<bool, string>("Root", async (ctx, wait) =>
            "root(" + await ctx.CallSubOrchestratorAsync<string>("Middle", wait, new SubOrchestrationOptions(InstanceId: ctx.InstanceId + ":mid")) + ")")
        // Over the 60 KB table-property limit, so every instance that records it owns a large-payload blob.
        .AddActivityFunc<string, string>("Big", (_, id) => id + new string('x', 40_000));

    [Fact]
    public async Task Recursive_terminate_reaches_grandchildren_and_plain_terminate_leaves_children_running()
    {
        await using var host = await DurableTestHost.StartAsync(storage, RegisterTree);

        await host.Client.ScheduleNewOrchestrationInstanceAsync("Root", true, new StartOrchestrationOptions("rec"), Ct);
        await EventsAndControlTests.WaitForStatusAsync(host, "rec:mid:leaf", OrchestrationRuntimeStatus.Running);
        await host.Client.TerminateInstanceAsync("rec", new TerminateInstanceOptions("cut", Recursive: true), Ct);
        foreach (var id in new[] { "rec", "rec:mid", "rec:mid:leaf" })
        {
            var done = await host.WaitAsync(id);
            Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
            Assert.Equal("cut", done.ReadOutputAs<string>());
        }

        // Without Recursive only the root stops. The leaf is raised an event only after the root is terminated: had a
        // terminate been sent to the children, it would have been queued before the root's status changed and would
        // reach them first, so they would end Terminated instead of Completed.
        await host.Client.ScheduleNewOrchestrationInstanceAsync("Root", true, new StartOrchestrationOptions("plain"), Ct);
        await EventsAndControlTests.WaitForStatusAsync(host, "plain:mid:leaf", OrchestrationRuntimeStatus.Running);
        await host.Client.TerminateInstanceAsync("plain", "stop", Ct);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, (await host.WaitAsync("plain")).RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await host.Client.GetInstanceAsync("plain:mid", Ct))!.RuntimeStatus);

        // A recursive purge of the finished root leaves its running subtree alone.
        Assert.Equal(1, (await host.Client.PurgeInstanceAsync("plain", new PurgeInstanceOptions(Recursive: true), Ct)).PurgedInstanceCount);
        Assert.Null(await host.Client.GetInstanceAsync("plain", Ct));

        await host.Client.RaiseEventAsync("plain:mid:leaf", "go", "went", Ct);
        var leaf = await host.WaitAsync("plain:mid:leaf");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, leaf.RuntimeStatus);
        Assert.Equal("went", leaf.ReadOutputAs<string>());
        var middle = await host.WaitAsync("plain:mid");
        Assert.Equal(OrchestrationRuntimeStatus.Completed, middle.RuntimeStatus);
        Assert.Equal("mid(went)", middle.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Recursive_purge_removes_the_whole_tree_with_its_history_and_blobs()
    {
        await using var host = await DurableTestHost.StartAsync(storage, RegisterTree);
        var hub = new TaskHub(storage.Account, host.Options);
        foreach (var root in new[] { "flat", "deep" })
        {
            var result = await host.RunAsync("Root", false, root);
            Assert.Equal($"root(mid({root}:mid:leaf{new string('x', 40_000)}))", result.ReadOutputAs<string>());
        }
        string[] Tree(string root) => [root, root + ":mid", root + ":mid:leaf"];
        foreach (var id in Tree("flat").Concat(Tree("deep")))
        {
            Assert.NotEmpty(await HistoryRowsAsync(hub, id));
            Assert.NotEmpty(await BlobsAsync(hub, id));
        }

        // Without Recursive the children stay, history and all.
        Assert.Equal(1, (await host.Client.PurgeInstanceAsync("flat", Ct)).PurgedInstanceCount);
        Assert.Empty(await HistoryRowsAsync(hub, "flat"));
        Assert.Empty(await BlobsAsync(hub, "flat"));
        foreach (var id in Tree("flat").Skip(1))
        {
            Assert.NotNull(await host.Client.GetInstanceAsync(id, Ct));
            Assert.NotEmpty(await HistoryRowsAsync(hub, id));
        }

        Assert.Equal(3, (await host.Client.PurgeInstanceAsync("deep", new PurgeInstanceOptions(Recursive: true), Ct)).PurgedInstanceCount);
        foreach (var id in Tree("deep"))
        {
            Assert.Null(await host.Client.GetInstanceAsync(id, Ct));
            Assert.Empty(await HistoryRowsAsync(hub, id));
            Assert.Empty(await BlobsAsync(hub, id));
        }
        // Purging again finds nothing; the bulk purge (recursive) takes the flat tree's orphans: middle and, under it, the leaf.
        Assert.Equal(0, (await host.Client.PurgeInstanceAsync("deep", new PurgeInstanceOptions(Recursive: true), Ct)).PurgedInstanceCount);
        Assert.Equal(2, (await host.Client.PurgeAllInstancesAsync(new PurgeInstancesFilter(), new PurgeInstanceOptions(Recursive: true), Ct)).PurgedInstanceCount);
        Assert.Empty(await host.Client.GetAllInstancesAsync().ToListAsync(Ct));
    }

    private static async Task<List<string>> HistoryRowsAsync(TaskHub hub, string instanceId)
    {
        var pk = TaskHubNames.EscapeKey(instanceId);
        var rows = new List<string>();
        await foreach (var row in hub.History.Table.QueryAsync<TableEntity>(e => e.PartitionKey == pk, select: ["RowKey"], cancellationToken: Ct)) rows.Add(row.RowKey);
        return rows;
    }

    private static async Task<List<string>> BlobsAsync(TaskHub hub, string instanceId)
    {
        var names = new List<string>();
        await foreach (var blob in hub.Payloads.Container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, TaskHubNames.EscapeKey(instanceId) + "/", Ct)) names.Add(blob.Name);
        return names;
    }
}
