using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Durable.Http;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>showHistory / showHistoryOutput / showInput on the status API, and the client's history behind them.</summary>
public sealed class HttpShowHistoryTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Root = "/runtime/webhooks/durabletask/instances/";

    [Fact]
    public async Task Status_shows_the_history_a_known_orchestration_produced_in_order_with_and_without_outputs()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddDurableTaskAzureStorage(storage.Account, DurableTestHost.TestOptions(storage), r => r
            .AddOrchestratorFunc<string, string>("Sequence", async (ctx, city) =>
            {
                var hello = await ctx.CallActivityAsync<string>("Hello", city);
                await ctx.CreateTimer(ctx.CurrentUtcDateTime.AddMilliseconds(100), CancellationToken.None);
                var square = await ctx.CallSubOrchestratorAsync<int>("Square", 5, new SubOrchestrationOptions(InstanceId: ctx.InstanceId + ":sq"));
                try
                {
                    await ctx.CallActivityAsync("Boom");
                }
                catch (TaskFailedException)
                {
                }
                return $"{hello} {square}";
            })
            .AddOrchestratorFunc<int, int>("Square", (_, x) => Task.FromResult(x * x))
            .AddOrchestratorFunc<object?, string>("Outer", async (ctx, _) =>
                await ctx.CallSubOrchestratorAsync<string>("Inner", null, new SubOrchestrationOptions(InstanceId: ctx.InstanceId + ":in")))
            .AddOrchestratorFunc<object?, string>("Inner", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go"))
            .AddActivityFunc<string, string>("Hello", (_, c) => $"Hello {c}!")
            .AddActivityFunc<object?, string>("Boom", (_, _) => Boom()));
        await using var app = builder.Build();
        app.MapDurableTaskManagementApi();
        await app.StartAsync(Ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var client = app.Services.GetRequiredService<DurableTaskClient>();

        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsJsonAsync("/runtime/webhooks/durabletask/orchestrators/Sequence/seq", "Tokyo", Ct)).StatusCode);
        await client.WaitForInstanceCompletionAsync("seq", Ct);

        var plain = await GetJsonAsync(http, Root + "seq", HttpStatusCode.OK);
        Assert.False(plain.TryGetProperty("historyEvents", out _));
        Assert.Equal("Tokyo", plain.GetProperty("input").GetString());
        Assert.Equal(JsonValueKind.Null, (await GetJsonAsync(http, Root + "seq?showInput=false", HttpStatusCode.OK)).GetProperty("input").ValueKind);

        string[] expected = ["ExecutionStarted", "TaskCompleted", "TimerCreated", "TimerFired", "SubOrchestrationInstanceCompleted", "TaskFailed", "ExecutionCompleted"];
        var bare = (await GetJsonAsync(http, Root + "seq?showHistory=true", HttpStatusCode.OK)).GetProperty("historyEvents").EnumerateArray().ToList();
        Assert.Equal(expected, bare.Select(e => e.GetProperty("EventType").GetString()));
        Assert.DoesNotContain(bare, e => e.TryGetProperty("Result", out _) || e.TryGetProperty("EventId", out _) || e.TryGetProperty("Input", out _));
        var times = bare.Select(e => e.GetProperty("Timestamp").GetDateTimeOffset()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(["Sequence", "Hello", null, null, "Square", "Boom", null], bare.Select(e => e.TryGetProperty("FunctionName", out var n) ? n.GetString() : null));
        foreach (var completion in bare.Where(e => e.TryGetProperty("ScheduledTime", out _)))
        {
            Assert.True(completion.GetProperty("ScheduledTime").GetDateTimeOffset() <= completion.GetProperty("Timestamp").GetDateTimeOffset());
        }
        Assert.Equal(3, bare.Count(e => e.TryGetProperty("ScheduledTime", out _)));
        var failed = bare[5];
        Assert.Equal("boom", failed.GetProperty("Reason").GetString());
        Assert.Equal("System.InvalidOperationException", failed.GetProperty("FailureDetails").GetProperty("ErrorType").GetString());
        Assert.Equal(bare[2].GetProperty("FireAt").GetString(), bare[3].GetProperty("FireAt").GetString());
        Assert.Equal("Completed", bare[6].GetProperty("OrchestrationStatus").GetString());

        var full = (await GetJsonAsync(http, Root + "seq?showHistory=true&showHistoryOutput=true", HttpStatusCode.OK)).GetProperty("historyEvents").EnumerateArray().ToList();
        Assert.Equal(expected, full.Select(e => e.GetProperty("EventType").GetString()));
        Assert.Equal("Hello Tokyo!", full[1].GetProperty("Result").GetString());
        Assert.Equal(25, full[4].GetProperty("Result").GetInt32());
        Assert.Equal("Hello Tokyo! 25", full[6].GetProperty("Result").GetString());
        Assert.False(full[5].TryGetProperty("Result", out _));

        // The client's own history: every stored event, scheduled actions and episode markers included.
        Assert.Null((await client.GetInstanceAsync("seq", new GetInstanceOptions(), Ct))!.History);
        var raw = (await client.GetInstanceAsync("seq", new GetInstanceOptions { GetHistory = true }, Ct))!.History!;
        var scheduled = raw.Single(e => e.EventType == "TaskScheduled" && e.Name == "Hello");
        Assert.Equal("\"Tokyo\"", scheduled.Input);
        var done = raw.Single(e => e.EventType == "TaskCompleted");
        Assert.Equal(scheduled.EventId, done.ScheduledTaskId);
        Assert.Equal("\"Hello Tokyo!\"", done.Result);
        Assert.Equal("seq:sq", raw.Single(e => e.EventType == "SubOrchestrationInstanceCreated").InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, raw.Single(e => e.EventType == "ExecutionCompleted").OrchestrationStatus);
        Assert.Equal(raw.Count(e => e.EventType == "OrchestratorStarted"), raw.Count(e => e.EventType == "OrchestratorCompleted"));

        // While running: 202, and a sub-orchestration that has not reported back is listed as created, with its id.
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync("/runtime/webhooks/durabletask/orchestrators/Outer/out", null, Ct)).StatusCode);
        using (var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            // The child may start before its parent's first episode has written the parent's row: wait for both.
            foreach (var id in new[] { "out:in", "out" })
            {
                while ((await client.GetInstanceAsync(id, cts.Token))?.RuntimeStatus != OrchestrationRuntimeStatus.Running) await Task.Delay(50, cts.Token);
            }
        }
        var running = (await GetJsonAsync(http, Root + "out?showHistory=true", HttpStatusCode.Accepted)).GetProperty("historyEvents").EnumerateArray().ToList();
        Assert.Equal(["ExecutionStarted", "SubOrchestrationInstanceCreated"], running.Select(e => e.GetProperty("EventType").GetString()));
        Assert.Equal("Inner", running[1].GetProperty("Name").GetString());
        Assert.Equal("out:in", running[1].GetProperty("InstanceId").GetString());
        await client.RaiseEventAsync("out:in", "go", "went", Ct);
        await client.WaitForInstanceCompletionAsync("out", Ct);
        var finished = (await GetJsonAsync(http, Root + "out?showHistory=true&showHistoryOutput=true", HttpStatusCode.OK)).GetProperty("historyEvents").EnumerateArray().ToList();
        Assert.Equal(["ExecutionStarted", "SubOrchestrationInstanceCompleted", "ExecutionCompleted"], finished.Select(e => e.GetProperty("EventType").GetString()));
        Assert.Equal("went", finished[1].GetProperty("Result").GetString());
        await app.StopAsync(Ct);
    }

    private static string Boom() => throw new InvalidOperationException("boom");

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string uri, HttpStatusCode status)
    {
        var response = await http.GetAsync(uri, Ct);
        Assert.Equal(status, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }
}
