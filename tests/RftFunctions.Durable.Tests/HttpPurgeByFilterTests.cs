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

/// <summary>DELETE instances?createdTimeFrom=&amp;runtimeStatus=: Functions' purge of many instance histories.</summary>
public sealed class HttpPurgeByFilterTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Purge_by_filter_removes_only_matching_finished_instances()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddDurableTaskAzureStorage(storage.Account, DurableTestHost.TestOptions(storage), r => r
            .AddOrchestratorFunc<int, int>("Echo", (_, n) => n < 0 ? throw new ArgumentException("negative") : Task.FromResult(n))
            .AddOrchestratorFunc<object?, string>("Wait", async (ctx, _) => await ctx.WaitForExternalEvent<string>("go")));
        await using var app = builder.Build();
        app.MapDurableTaskManagementApi();
        await app.StartAsync(Ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        var client = app.Services.GetRequiredService<DurableTaskClient>();

        foreach (var (id, n) in new[] { ("ok-1", 1), ("ok-2", 2), ("bad-1", -1) })
        {
            await client.ScheduleNewOrchestrationInstanceAsync("Echo", n, new StartOrchestrationOptions(id), Ct);
            await client.WaitForInstanceCompletionAsync(id, Ct);
        }
        await client.ScheduleNewOrchestrationInstanceAsync("Wait", new StartOrchestrationOptions("live"), Ct);
        await client.WaitForInstanceStartAsync("live", Ct);
        const string Instances = "/runtime/webhooks/durabletask/instances";

        Assert.Equal(HttpStatusCode.BadRequest, (await http.DeleteAsync(Instances + "?runtimeStatus=Sleeping", Ct)).StatusCode);
        var completed = await http.DeleteAsync(Instances + "?createdTimeFrom=2000-01-01T00:00:00Z&runtimeStatus=Completed", Ct);
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        Assert.Equal(2, (await completed.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("instancesDeleted").GetInt32());
        Assert.Null(await client.GetInstanceAsync("ok-1", Ct));
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await client.GetInstanceAsync("bad-1", Ct))!.RuntimeStatus);

        // A running instance is never purged, even when its status is asked for; nothing left to match is a 404.
        Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync(Instances + "?runtimeStatus=Running,Completed", Ct)).StatusCode);
        Assert.Equal(OrchestrationRuntimeStatus.Running, (await client.GetInstanceAsync("live", Ct))!.RuntimeStatus);
        var rest = await http.DeleteAsync(Instances, Ct);
        Assert.Equal(HttpStatusCode.OK, rest.StatusCode);
        Assert.Equal(1, (await rest.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("instancesDeleted").GetInt32());
        Assert.NotNull(await client.GetInstanceAsync("live", Ct));
        await app.StopAsync(Ct);
    }
}
