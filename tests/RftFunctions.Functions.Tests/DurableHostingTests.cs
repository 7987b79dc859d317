using System.Net;
using Microsoft.Extensions.Configuration;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Hosting;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests;

public sealed class DurableHostingTests(StorageFixture storage)
{
    private static IConfiguration HostJson(string workerPools = """{ "gpu": 1, "cpu": 3 }""") => new ConfigurationBuilder()
        .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""
            { "AzureFunctionsJobHost": { "extensions": { "durableTask": {
                "hubName": "RolesHub", "maxConcurrentActivityFunctions": 7, "workerPools": {{workerPools}} } } } }
            """)))
        .Build();

    [Fact]
    public void All_roles_serve_every_pool_and_orchestrations()
    {
        var options = DurableHosting.OptionsForRoles(HostJson(), new RftHostOptions { Roles = "all" });

        Assert.True(options.ProcessOrchestrations);
        Assert.Equal("RolesHub", options.HubName);
        Assert.Equal(new Dictionary<string, int> { ["gpu"] = 1, ["cpu"] = 3 }, options.WorkerPools);
    }

    [Fact]
    public void A_gpu_worker_serves_only_its_pool_with_the_configured_limit_and_no_orchestrations()
    {
        var host = new RftHostOptions { Roles = "pool:gpu" };

        var options = DurableHosting.OptionsForRoles(HostJson(), host);

        Assert.False(options.ProcessOrchestrations);
        Assert.Equal(new Dictionary<string, int> { ["gpu"] = 1 }, options.WorkerPools);
        Assert.True(DurableHosting.RunsWorker(host));
    }

    [Fact]
    public void A_pool_without_a_configured_limit_uses_max_concurrent_activity_functions()
    {
        var options = DurableHosting.OptionsForRoles(HostJson(), new RftHostOptions { Roles = "orchestrations,pool:default" });

        Assert.True(options.ProcessOrchestrations);
        Assert.Equal(new Dictionary<string, int> { ["default"] = 7 }, options.WorkerPools);
    }

    [Fact]
    public async Task An_orchestrations_only_process_serves_no_activity_pool()
    {
        var options = DurableHosting.OptionsForRoles(HostJson(), new RftHostOptions { Roles = "api,orchestrations" });
        var registry = new RftFunctions.Durable.DurableTaskRegistry()
            .AddActivityFunc<int, int>("Double", (_, x) => x * 2, pool: "gpu");

        await using var worker = new RftFunctions.Durable.DurableTaskWorker(storage.Account, options, registry);

        Assert.True(options.ProcessOrchestrations);
        Assert.Empty(worker.Pools);
    }

    [Fact]
    public void An_api_only_process_runs_no_durable_worker()
    {
        Assert.False(DurableHosting.RunsWorker(new RftHostOptions { Roles = "api" }));
    }

    [Fact]
    public async Task The_host_serves_the_durable_management_api_to_operators_only()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = HostProcess.Start(new Dictionary<string, string> { ["AzureWebJobsStorage"] = storage.ConnectionString });
        using var anonymous = new HttpClient();
        const string Path = "/runtime/webhooks/durabletask/instances/no-such-instance";

        using var refused = await host.WaitForAsync(anonymous, Path, TimeSpan.FromSeconds(90), ct);
        var (_, adminKey) = await new ApiKeyStore(storage.Account, new ApiOptions()).CreateAdminAsync(ct);
        using var admin = new HttpClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await admin.GetAsync(new Uri(host.BaseAddress, Path), ct);

        Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{(int)refused.StatusCode}\n{host.Output}");
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{(int)response.StatusCode}\n{host.Output}");
    }
}
