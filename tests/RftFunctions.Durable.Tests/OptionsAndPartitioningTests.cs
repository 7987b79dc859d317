using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

public sealed class OptionsAndPartitioningTests(StorageFixture storage)
{
    [Fact]
    public void Host_json_durableTask_section_binds_and_validates()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = "TrainingHub",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:partitionCount"] = "8",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:controlQueueBatchSize"] = "16",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:workItemQueueVisibilityTimeout"] = "00:02:00",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:05",
            ["AzureFunctionsJobHost:extensions:durableTask:maxConcurrentActivityFunctions"] = "3",
            ["AzureFunctionsJobHost:extensions:durableTask:workerPools:gpu"] = "1",
            ["AzureFunctionsJobHost:extensions:durableTask:workerPools:cpu"] = "4",
        }).Build();
        var options = configuration.GetSection(DurableTaskOptions.ConfigurationSection).Get<DurableTaskOptions>()!.Validate();
        Assert.Equal("TrainingHub", options.HubName);
        Assert.Equal(8, options.StorageProvider.PartitionCount);
        Assert.Equal(16, options.StorageProvider.ControlQueueBatchSize);
        Assert.Equal(TimeSpan.FromMinutes(2), options.StorageProvider.WorkItemQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), options.StorageProvider.MaxQueuePollingInterval);
        Assert.Equal(3, options.MaxConcurrentActivityFunctions);
        Assert.Equal(new Dictionary<string, int> { ["gpu"] = 1, ["cpu"] = 4 }, options.WorkerPools);
        Assert.Equal(TimeSpan.FromMinutes(5), options.StorageProvider.ControlQueueVisibilityTimeout); // default kept
    }

    [Fact]
    public async Task Services_bind_options_and_the_storage_connection_from_configuration()
    {
        var hub = storage.UniqueName("cfg");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureFunctionsJobHost:extensions:durableTask:hubName"] = hub,
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:connectionStringName"] = "DurableStorage",
            ["AzureFunctionsJobHost:extensions:durableTask:storageProvider:maxQueuePollingInterval"] = "00:00:00.5",
            ["DurableStorage"] = storage.ConnectionString,
        }).Build();
        var services = new ServiceCollection()
            .AddDurableTaskAzureStorage(configuration, r => r.AddOrchestratorFunc<int, int>("Twice", (_, n) => Task.FromResult(2 * n)));
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetRequiredService<DurableTaskWorker>();
        var client = provider.GetRequiredService<DurableTaskClient>();
        Assert.Equal(hub, client.Name);
        await worker.StartAsync(TestContext.Current.CancellationToken);
        var id = await client.ScheduleNewOrchestrationInstanceAsync("Twice", 21, cancellation: TestContext.Current.CancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        Assert.Equal(42, (await client.WaitForInstanceCompletionAsync(id, true, cts.Token)).ReadOutputAs<int>());
        await worker.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("ab", "hubName")]
    [InlineData("1hub", "hubName")]
    [InlineData("my-hub", "hubName")]
    public void Invalid_hub_names_are_rejected_with_the_field_named(string hub, string field)
    {
        var ex = Assert.Throws<ArgumentException>(() => new DurableTaskOptions { HubName = hub }.Validate());
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        Assert.Contains(hub, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_settings_name_the_field()
    {
        var ex = Assert.Throws<ArgumentException>(() => new DurableTaskOptions { StorageProvider = new AzureStorageProviderOptions { PartitionCount = 17 } }.Validate());
        Assert.Contains("storageProvider.partitionCount = 17", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new DurableTaskOptions { StorageProvider = new AzureStorageProviderOptions { ControlQueueBatchSize = 33 } }.Validate());
        Assert.Contains("controlQueueBatchSize", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new DurableTaskOptions { WorkerPools = new() { ["GPU!"] = 1 } }.Validate());
        Assert.Contains("workerPools", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => new DurableTaskOptions { MaxDeliveryAttempts = 0 }.Validate());
        Assert.Contains("maxDeliveryAttempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Partition_is_fnv1a_32_of_the_utf8_id_modulo_the_partition_count()
    {
        // Published FNV-1a 32-bit vectors: "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
        Assert.Equal((int)(0xe40c292cu % 4), TaskHubNames.PartitionOf("a", 4));
        Assert.Equal((int)(0xbf9cf968u % 16), TaskHubNames.PartitionOf("foobar", 16));
        Assert.Equal((int)(2166136261u % 7), TaskHubNames.PartitionOf("", 7));
        Assert.Equal("myhub-control-03", TaskHubNames.ControlQueue("MyHub", 3));
        Assert.Equal("myhub-workitems", TaskHubNames.WorkItemQueue("MyHub", "default"));
        Assert.Equal("myhub-workitems-gpu", TaskHubNames.WorkItemQueue("MyHub", "gpu"));
        Assert.Equal("a%2Fb%23c", TaskHubNames.EscapeKey("a/b#c"));
        Assert.Equal("a/b#c", TaskHubNames.UnescapeKey(TaskHubNames.EscapeKey("a/b#c")));
    }

    [Fact]
    public async Task Two_workers_split_the_partitions_and_the_survivor_takes_them_all()
    {
        var options = DurableTestHost.TestOptions(storage) with
        {
            StorageProvider = DurableTestHost.TestOptions(storage).StorageProvider with { LeaseInterval = TimeSpan.FromSeconds(3), LeaseRenewInterval = TimeSpan.FromMilliseconds(300) },
        };
        var registry = new DurableTaskRegistry();
        var ct = TestContext.Current.CancellationToken;
        await using var a = new DurableTaskWorker(storage.Account, options, registry, workerId: "worker-a");
        await a.StartAsync(ct);
        await WaitUntilAsync(() => a.OwnedPartitions.Count == 4);
        await using var b = new DurableTaskWorker(storage.Account, options, registry, workerId: "worker-b");
        await b.StartAsync(ct);
        await WaitUntilAsync(() => a.OwnedPartitions.Count == 2 && b.OwnedPartitions.Count == 2);
        Assert.Empty(a.OwnedPartitions.Intersect(b.OwnedPartitions));
        await b.StopAsync(ct); // a graceful stop releases its leases
        await WaitUntilAsync(() => a.OwnedPartitions.Count == 4);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(50, cts.Token);
    }
}
