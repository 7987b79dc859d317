using System.Net;
using System.Text.Json;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
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
            ["Rft__Roles"] = "api,worker",
        });
        using var anonymous = new HttpClient();
        using var probe = await host.WaitForAsync(anonymous, "/healthz", StartTimeout, _ct);
        var status = await probe.Content.ReadAsStringAsync(_ct);
        Assert.True(probe.StatusCode == HttpStatusCode.OK, status + "\n" + host.Output);
        Assert.Equal("""{"status":"healthy"}""", status);
        // The details are the operator's: an admin key made as `rft keys create --admin` makes it.
        var (_, adminKey) = await new ApiKeyStore(storage.Account, new ApiOptions()).CreateAdminAsync(_ct);
        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);

        using var response = await client.GetAsync(new Uri(host.BaseAddress, "/healthz"), _ct);
        var body = await response.Content.ReadAsStringAsync(_ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, body + "\n" + host.Output);
        using var report = JsonDocument.Parse(body);
        Assert.Equal("healthy", report.RootElement.GetProperty("status").GetString());
        var services = report.RootElement.GetProperty("storage").EnumerateArray().ToList();
        Assert.Equal(["blob", "queue", "table"], services.Select(s => s.GetProperty("service").GetString()));
        Assert.All(services, s => Assert.True(s.GetProperty("ok").GetBoolean()));
        Assert.Equal(["api", "worker"], report.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Healthz_answers_503_when_storage_is_unreachable_and_doctor_names_the_failure()
    {
        // Nothing listens on these ports: an account that cannot be reached.
        var unreachable = DevelopmentStorage.ConnectionString("127.0.0.1", 9, 9, 9);
        await using var host = HostProcess.Start(new Dictionary<string, string> { ["AzureWebJobsStorage"] = unreachable });
        using var client = new HttpClient();
        // A key changes nothing while storage is down: no key can be checked, so the details stay private.
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "sk-rft-admin-unverifiable");

        using var response = await host.WaitForAsync(client, "/healthz", StartTimeout, _ct);
        var body = await response.Content.ReadAsStringAsync(_ct);

        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, body + "\n" + host.Output);
        Assert.Equal("""{"status":"unhealthy"}""", body);

        // The operator's view of the same failure: rft doctor probes each service with the host's settings.
        await using var doctor = HostProcess.Start(new Dictionary<string, string> { ["AzureWebJobsStorage"] = unreachable }, command: "doctor");
        Assert.True(await doctor.WaitForExitAsync(StartTimeout, _ct) == 1, doctor.Output);
        var output = doctor.Output;
        using var report = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..(output.LastIndexOf('}') + 1)]);
        var services = report.RootElement.GetProperty("storage").EnumerateArray().ToList();
        Assert.Equal(["blob", "queue", "table"], services.Select(s => s.GetProperty("Service").GetString()));
        foreach (var service in services)
        {
            Assert.False(service.GetProperty("Ok").GetBoolean());
            Assert.Contains("127.0.0.1:9", service.GetProperty("Error").GetString(), StringComparison.Ordinal);
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
