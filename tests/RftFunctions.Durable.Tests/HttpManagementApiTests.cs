using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Durable.Http;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class HttpManagementApiTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Starter_returns_202_with_management_urls_and_status_codes_follow_Functions_rules()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddDurableTaskAzureStorage(storage.Account, DurableTestHost.TestOptions(storage), r => r
            .AddOrchestratorFunc<object?, string>("AwaitApproval", async (ctx, _) => await ctx.WaitForExternalEvent<string>("approval"))
            .AddOrchestratorFunc<int, int>("Increment", (_, n) => Task.FromResult(n + 1)));
        await using var app = builder.Build();
        app.MapDurableTaskManagementApi();
        app.MapPost("/start/{name}", async (string name, HttpRequest request, DurableTaskClient client) =>
            DurableTaskHttpApi.CreateCheckStatusResponse(request, await client.ScheduleNewOrchestrationInstanceAsync(name)));
        await app.StartAsync(Ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var start = await http.PostAsync("/start/AwaitApproval", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var urls = (await start.Content.ReadFromJsonAsync<JsonElement>(Ct));
        var id = urls.GetProperty("id").GetString()!;
        var statusUri = urls.GetProperty("statusQueryGetUri").GetString()!;
        Assert.Equal(statusUri, start.Headers.Location!.ToString());
        Assert.Equal($"{address}/runtime/webhooks/durabletask/instances/{id}", statusUri);
        Assert.EndsWith("/raiseEvent/{eventName}", urls.GetProperty("sendEventPostUri").GetString(), StringComparison.Ordinal);
        foreach (var name in new[] { "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri", "resumePostUri" })
        {
            Assert.StartsWith(statusUri, urls.GetProperty(name).GetString(), StringComparison.Ordinal);
        }

        var running = await WaitForAsync(http, statusUri, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.NotNull(running.Headers.RetryAfter);
        Assert.NotNull(running.Headers.Location);
        var raise = await http.PostAsJsonAsync(statusUri + "/raiseEvent/Approval", "yes", Ct);
        Assert.Equal(HttpStatusCode.Accepted, raise.StatusCode);
        var done = await WaitForAsync(http, statusUri, r => r.StatusCode == HttpStatusCode.OK);
        var body = await done.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("Completed", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal("yes", body.GetProperty("output").GetString());

        Assert.Equal(HttpStatusCode.Gone, (await http.PostAsync(statusUri + "/raiseEvent/Approval", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await http.PostAsync(statusUri + "/terminate?reason=late", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await http.PostAsync(statusUri + "/suspend?reason=late", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/runtime/webhooks/durabletask/instances/nope", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/runtime/webhooks/durabletask/instances/nope/terminate", null, Ct)).StatusCode);

        // The built-in start API and terminate through HTTP.
        var second = await http.PostAsync("/runtime/webhooks/durabletask/orchestrators/AwaitApproval/http-2", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var secondUri = second.Headers.Location!.ToString();
        await WaitForAsync(http, secondUri, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.Accepted, (await http.PostAsync(secondUri + "/terminate?reason=bye", null, Ct)).StatusCode);
        var terminated = await WaitForAsync(http, secondUri, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal("Terminated", (await terminated.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("runtimeStatus").GetString());

        var purge = await http.DeleteAsync(statusUri, Ct);
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(statusUri, Ct)).StatusCode);
        await app.StopAsync(Ct);
    }

    private static async Task<HttpResponseMessage> WaitForAsync(HttpClient http, string uri, Func<HttpResponseMessage, bool> done)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            var response = await http.GetAsync(uri, cts.Token);
            if (done(response)) return response;
            await Task.Delay(50, cts.Token);
        }
    }
}
