using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Durable.Http;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>
/// The management surface's start route starts only registered orchestrators its host allows: an unknown name is 404
/// and one the host keeps for itself is 403, both before any instance row exists.
/// </summary>
public sealed class HttpStartPolicyTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unknown_and_refused_orchestrators_are_not_started_and_leave_no_instance_row()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddDurableTaskAzureStorage(storage.Account, DurableTestHost.TestOptions(storage), r => r
            .AddOrchestratorFunc<int, int>("Public", (_, n) => Task.FromResult(n + 1))
            .AddOrchestratorFunc<int, int>("Internal", (_, n) => Task.FromResult(n - 1)), runWorker: false);
        await using var app = builder.Build();
        app.MapDurableTaskManagementApi(canStart: name => string.Equals(name, "Public", StringComparison.OrdinalIgnoreCase));
        await app.StartAsync(Ct);
        var client = app.Services.GetRequiredService<DurableTaskClient>();
        using var http = new HttpClient { BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };

        using var unknown = await http.PostAsync("/runtime/webhooks/durabletask/orchestrators/NoSuchThing/u-1", new StringContent("1"), Ct);
        using var refused = await http.PostAsync("/runtime/webhooks/durabletask/orchestrators/Internal/i-1", new StringContent("1"), Ct);
        using var allowed = await http.PostAsync("/runtime/webhooks/durabletask/orchestrators/public/p-1", new StringContent("1"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
        Assert.Null(await client.GetInstanceAsync("u-1", false, Ct));
        Assert.Null(await client.GetInstanceAsync("i-1", false, Ct));
        Assert.NotNull(await client.GetInstanceAsync("p-1", false, Ct));
        await app.StopAsync(Ct);
    }
}
