using Azure.Data.Tables;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class UnprocessableWorkTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Corrupt_history_fails_the_instance_with_the_reason()
    {
        // Without the in-memory history cache, the next episode reads the damaged row back.
        await using var host = await DurableTestHost.StartAsync(storage, r => r
            .AddOrchestratorFunc<object?, string>("Waits", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go")),
            o => o with { ExtendedSessionsEnabled = false });
        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync("Waits", cancellation: Ct);
        await host.Client.WaitForInstanceStartAsync(id, cancellation: Ct);
        var table = new TaskHub(storage.Account, host.Options).History.Table;
        var row = (await table.GetEntityAsync<TableEntity>(TaskHubNames.EscapeKey(id), "0000000000000001", cancellationToken: Ct)).Value;
        row["EventType"] = "NotAnEvent";
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, Ct);

        await host.Client.RaiseEventAsync(id, "go", "x", Ct);
        var result = await host.WaitAsync(id);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, result.RuntimeStatus);
        Assert.Equal("CorruptHistory", result.FailureDetails!.ErrorType);
        Assert.Contains("0000000000000001", result.FailureDetails.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Undecodable_control_message_is_moved_aside_with_the_reason()
    {
        await using var host = await DurableTestHost.StartAsync(storage, _ => { });
        var hub = new TaskHub(storage.Account, host.Options);
        await hub.ControlQueues[0].SendMessageAsync("this is not a task message", Ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while ((await hub.PoisonQueue.PeekMessagesAsync(1, cts.Token)).Value.Length == 0) await Task.Delay(100, cts.Token);
        var moved = (await hub.PoisonQueue.PeekMessagesAsync(1, Ct)).Value[0].Body.ToString();
        Assert.Contains("cannot be decoded", moved, StringComparison.Ordinal);
        Assert.Contains("this is not a task message", moved, StringComparison.Ordinal);
        Assert.Equal(0, (await hub.ControlQueues[0].GetPropertiesAsync(Ct)).Value.ApproximateMessagesCount);
    }
}
