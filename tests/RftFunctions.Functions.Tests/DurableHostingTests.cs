using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Hosting;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests;

public sealed class DurableHostingTests(StorageFixture storage)
{
    private static IConfiguration HostJson(string durableTask) => new ConfigurationBuilder()
        .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""
            { "AzureFunctionsJobHost": { "extensions": { "durableTask": {{durableTask}} } } }
            """)))
        .Build();

    [Fact]
    public void Host_json_durable_settings_map_onto_the_engine_as_the_Functions_extension_maps_them()
    {
        var options = DurableHosting.ReadOptions(HostJson("""
            { "hubName": "MapHub", "maxConcurrentActivityFunctions": 7, "maxConcurrentOrchestratorFunctions": 9, "extendedSessionsEnabled": true,
              "storageProvider": { "partitionCount": 3, "controlQueueBatchSize": 16, "controlQueueVisibilityTimeout": "00:02:00",
                "workItemQueueVisibilityTimeout": "00:03:00", "maxQueuePollingInterval": "00:00:00.250" } }
            """));

        var settings = options.ToEngineSettings(new DurableTask.AzureStorage.StorageAccountClientProvider(storage.ConnectionString), "w1", null);

        Assert.Equal("MapHub", settings.TaskHubName);
        Assert.Equal(3, settings.PartitionCount);
        Assert.Equal(16, settings.ControlQueueBatchSize);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.ControlQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromMinutes(3), settings.WorkItemQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.MaxQueuePollingInterval);
        Assert.Equal(7, settings.MaxConcurrentTaskActivityWorkItems);
        Assert.Equal(9, settings.MaxConcurrentTaskOrchestrationWorkItems);
        Assert.True(settings.ExtendedSessionsEnabled);
        Assert.Equal("w1", settings.WorkerId);
    }

    [Theory]
    [InlineData("""{ "hubName": "bad-hub" }""", "hubName")]
    [InlineData("""{ "storageProvider": { "partitionCount": 17 } }""", "partitionCount")]
    [InlineData("""{ "maxConcurrentActivityFunctions": 0 }""", "maxConcurrentActivityFunctions")]
    [InlineData("""{ "storageProvider": { "maxQueuePollingInterval": "01:00:00" } }""", "maxQueuePollingInterval")]
    [InlineData("""{ "storageProvider": { "leaseInterval": "00:00:15", "leaseAcquireInterval": "00:00:15" } }""", "leaseAcquireInterval")]
    public void Out_of_range_durable_settings_are_refused_naming_the_field(string durableTask, string field)
    {
        var e = Assert.Throws<ArgumentException>(() => DurableHosting.ReadOptions(HostJson(durableTask)));
        Assert.Contains("extensions.durableTask." + (field is "partitionCount" or "maxQueuePollingInterval" or "leaseAcquireInterval" ? "storageProvider." : "") + field, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_repository_host_json_brings_a_crashed_workers_work_back_within_30_s_and_matches_the_code_defaults()
    {
        // The host.json both hosts ship (the test output's copy of the repository's).
        var durableTask = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))!["extensions"]!["durableTask"]!;
        var sp = DurableHosting.ReadOptions(HostJson(durableTask.ToJsonString())).StorageProvider;

        // A dead worker's received messages reappear one visibility timeout after its last renewal; its partitions are
        // taken one lease after its last renewal plus at most one acquire tick (issue 21: within 30 s).
        Assert.InRange(sp.WorkItemQueueVisibilityTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        Assert.InRange(sp.ControlQueueVisibilityTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
        Assert.True(sp.LeaseInterval + sp.LeaseAcquireInterval <= TimeSpan.FromSeconds(30), $"leases: {sp.LeaseInterval} + {sp.LeaseAcquireInterval}");
        // A host.json without the section behaves the same (the code's defaults are host.json's).
        var defaults = new Functions.Durable.TaskHubStorageOptions();
        Assert.Equal(
            (defaults.WorkItemQueueVisibilityTimeout, defaults.ControlQueueVisibilityTimeout, defaults.LeaseInterval, defaults.LeaseRenewInterval, defaults.LeaseAcquireInterval),
            (sp.WorkItemQueueVisibilityTimeout, sp.ControlQueueVisibilityTimeout, sp.LeaseInterval, sp.LeaseRenewInterval, sp.LeaseAcquireInterval));
    }

    [Theory]
    [InlineData("pool:gpu")]
    [InlineData("api,orchestrations")]
    [InlineData("")]
    public void Roles_are_all_api_or_worker_and_the_old_pool_roles_are_refused(string roles)
    {
        var e = Assert.Throws<ArgumentException>(() => new RftHostOptions { Roles = roles }.Validate());
        Assert.Contains("there are no worker pools", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_worker_roles_run_the_durable_worker_and_every_process_gets_a_client()
    {
        Assert.True(DurableHosting.RunsWorker(new RftHostOptions { Roles = "all" }));
        Assert.True(DurableHosting.RunsWorker(new RftHostOptions { Roles = "worker" }));
        Assert.False(DurableHosting.RunsWorker(new RftHostOptions { Roles = "api" }));

        var services = new ServiceCollection().AddTaskHub(storage.Account, new RftFunctions.Functions.Durable.TaskHubOptions(), runWorker: false);
        Assert.Contains(services, d => d.ServiceType == typeof(Microsoft.DurableTask.Client.DurableTaskClient));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(RftFunctions.Functions.Durable.TaskHubWorkerService));
    }

    [Fact]
    public void Every_worker_registers_every_orchestrator_and_activity_of_the_app()
    {
        var catalog = RftFunctions.Functions.Orchestrations.RftOrchestrations.Register(new RftFunctions.Functions.Durable.TaskCatalog());

        Assert.Equal(["CheckpointEvaluation", "TrainingJob", "Validation"], catalog.Orchestrators.Keys.Order());
        Assert.Equal(["Checkpoint", "Finalize", "PolicyUpdate", "RecordCheckpointEvaluation", "RecordJobStatus", "RecordMetrics", "RolloutAndGrade", "ValidateJob"],
            catalog.Activities.Keys.Order());
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
