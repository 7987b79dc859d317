using System.Net;
using System.Text.Json;
using RftFunctions.Storage;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests;

public sealed class HealthEndpointTests(StorageFixture storage)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Healthz_reports_every_storage_service_ok_when_storage_is_reachable()
    {
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__Roles"] = "api,pool:gpu",
        });
        using var client = new HttpClient();

        using var response = await host.WaitForAsync(client, "/healthz", StartTimeout, _ct);
        var body = await response.Content.ReadAsStringAsync(_ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, body + "\n" + host.Output);
        using var report = JsonDocument.Parse(body);
        Assert.Equal("healthy", report.RootElement.GetProperty("status").GetString());
        var services = report.RootElement.GetProperty("storage").EnumerateArray().ToList();
        Assert.Equal(["blob", "queue", "table"], services.Select(s => s.GetProperty("service").GetString()));
        Assert.All(services, s => Assert.True(s.GetProperty("ok").GetBoolean()));
        Assert.Equal(["api", "pool:gpu"], report.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Healthz_answers_503_naming_the_failure_when_storage_is_unreachable()
    {
        // Nothing listens on these ports: an account that cannot be reached.
        var unreachable = DevelopmentStorage.ConnectionString("127.0.0.1", 9, 9, 9);
        await using var host = HostProcess.Start(new Dictionary<string, string> { ["AzureWebJobsStorage"] = unreachable });
        using var client = new HttpClient();

        using var response = await host.WaitForAsync(client, "/healthz", StartTimeout, _ct);
        var body = await response.Content.ReadAsStringAsync(_ct);

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, body + "\n" + host.Output);
        using var report = JsonDocument.Parse(body);
        Assert.Equal("unhealthy", report.RootElement.GetProperty("status").GetString());
        foreach (var service in report.RootElement.GetProperty("storage").EnumerateArray())
        {
            Assert.False(service.GetProperty("ok").GetBoolean());
            Assert.Contains("127.0.0.1:9", service.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Doctor_reports_that_torchsharp_computes_in_the_built_app()
    {
        await using var host = HostProcess.Start(new Dictionary<string, string> { ["AzureWebJobsStorage"] = storage.ConnectionString }, command: "doctor");
        var exited = await host.WaitForExitAsync(StartTimeout, _ct);

        Assert.True(exited == 0, host.Output);
        Assert.Contains("\"Ok\": true", host.Output, StringComparison.Ordinal);
        Assert.Contains("\"Version\": \"2.10", host.Output, StringComparison.Ordinal);
    }
}
