using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Triggers;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests;

/// <summary>
/// Issue 22: <c>/healthz</c> is unhealthy while any long-running loop of the process is not running, so a platform
/// restarts a wedged process. The app's own services on the test Azurite (storage reachable throughout): one loop is
/// stopped behind the host's back and the probe must turn 503, with the operator's report naming the loop.
/// </summary>
public sealed class LoopLivenessHealthTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TaskHubWorkerService.LoopName)]
    [InlineData(DatasetBlobTrigger.LoopName)]
    public async Task A_loop_forced_to_stop_makes_healthz_unhealthy_and_the_report_names_it(string loopName)
    {
        var prefix = storage.UniqueName("l").Replace("-", "", StringComparison.Ordinal);
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Rft:StoragePrefix"] = prefix, ["Rft:Roles"] = "all" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(storage.Account);
        builder.Services.AddSingleton(new RftHostOptions { Roles = "all" });
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddOpenAiApi(builder.Configuration);
        builder.Services.AddRftTraining();
        builder.Services.AddTaskHub(storage.Account, new TaskHubOptions { HubName = prefix + "hub" }, runWorker: true);
        await using var app = builder.Build();
        app.MapHealthApi();
        await app.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // Healthy once every loop went round.
        var liveness = app.Services.GetRequiredService<LoopLiveness>();
        await WaitAsync(() => liveness.Report() is { Count: >= 2 } loops && loops.All(l => l.Ok && l.State == "running"));
        using (var healthy = await http.GetAsync("/healthz", Ct))
            Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        using (var alive = await http.GetAsync("/healthz?probe=liveness", Ct))
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

        // The loop ends while the process lives (its hosted service stopped alone, as a crashed loop would be).
        var loop = app.Services.GetServices<IHostedService>().Single(s => s switch
        {
            TaskHubWorkerService => loopName == TaskHubWorkerService.LoopName,
            DatasetBlobTrigger => loopName == DatasetBlobTrigger.LoopName,
            _ => false,
        });
        await loop.StopAsync(Ct);

        using var unhealthy = await http.GetAsync("/healthz", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unhealthy.StatusCode);
        Assert.Equal("""{"status":"unhealthy"}""", await unhealthy.Content.ReadAsStringAsync(Ct));
        using (var dead = await http.GetAsync("/healthz?probe=liveness", Ct))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, dead.StatusCode);

        // The operator's report says which loop and why; storage itself is fine.
        var (_, adminKey) = await new ApiKeyStore(storage.Account, app.Services.GetRequiredService<ApiOptions>()).CreateAdminAsync(Ct);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var detailed = await http.SendAsync(request, Ct);
        using var report = JsonDocument.Parse(await detailed.Content.ReadAsStringAsync(Ct));
        Assert.All(report.RootElement.GetProperty("storage").EnumerateArray(), s => Assert.True(s.GetProperty("ok").GetBoolean()));
        var loops = report.RootElement.GetProperty("loops").EnumerateArray().ToDictionary(l => l.GetProperty("name").GetString()!);
        Assert.False(loops[loopName].GetProperty("ok").GetBoolean());
        Assert.Equal("stopped", loops[loopName].GetProperty("state").GetString());
        // Only that loop: the other one still runs.
        Assert.All(loops.Where(l => l.Key != loopName), l => Assert.True(l.Value.GetProperty("ok").GetBoolean(), l.Key));

        // rft doctor --host reads the same report from outside and fails on it.
        await using var doctor = HostProcess.Start(
            new Dictionary<string, string> { ["AzureWebJobsStorage"] = storage.ConnectionString, ["RFT_ADMIN_KEY"] = adminKey },
            command: "doctor", arguments: ["--host", app.Urls.First()]);
        Assert.True(await doctor.WaitForExitAsync(TimeSpan.FromSeconds(120), Ct) == 1, doctor.Output);
        var output = doctor.Output;
        using var doctorReport = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..(output.LastIndexOf('}') + 1)]);
        var hostCheck = doctorReport.RootElement.GetProperty("host");
        Assert.False(hostCheck.GetProperty("Ok").GetBoolean());
        Assert.Contains(hostCheck.GetProperty("Report").GetProperty("loops").EnumerateArray(),
            l => l.GetProperty("name").GetString() == loopName && l.GetProperty("state").GetString() == "stopped");
        await app.StopAsync(Ct);
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the loops never all reported running");
            await Task.Delay(100, Ct);
        }
    }
}
