using RftFunctions.Testing;

[assembly: AssemblyFixture(typeof(StorageFixture))]

namespace RftFunctions.Durable.Tests;

/// <summary>A task hub of its own on the test Azurite, with one in-process worker and a client.</summary>
internal sealed class DurableTestHost : IAsyncDisposable
{
    private DurableTestHost(DurableTaskOptions options, DurableTaskWorker? worker, AzureStorageDurableTaskClient client)
    {
        Options = options;
        Worker = worker;
        Client = client;
    }

    public DurableTaskOptions Options { get; }

    public DurableTaskWorker? Worker { get; }

    public AzureStorageDurableTaskClient Client { get; }

    /// <summary>Options with a unique hub and quick polling/leases for tests.</summary>
    public static DurableTaskOptions TestOptions(StorageFixture storage, Func<DurableTaskOptions, DurableTaskOptions>? configure = null)
    {
        var options = new DurableTaskOptions
        {
            HubName = storage.UniqueName("hub"),
            StorageProvider = new AzureStorageProviderOptions
            {
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
                LeaseInterval = TimeSpan.FromSeconds(5),
                LeaseRenewInterval = TimeSpan.FromSeconds(1),
            },
            MaxConcurrentActivityFunctions = 32,
        };
        return configure is null ? options : configure(options);
    }

    public static async Task<DurableTestHost> StartAsync(StorageFixture storage, Action<DurableTaskRegistry> register, Func<DurableTaskOptions, DurableTaskOptions>? configure = null, bool startWorker = true)
    {
        var options = TestOptions(storage, configure);
        var registry = new DurableTaskRegistry();
        register(registry);
        DurableTaskWorker? worker = null;
        if (startWorker)
        {
            worker = new DurableTaskWorker(storage.Account, options, registry);
            await worker.StartAsync(TestContext.Current.CancellationToken);
        }
        return new DurableTestHost(options, worker, new AzureStorageDurableTaskClient(storage.Account, options));
    }

    /// <summary>Starts an instance and waits (bounded) for it to finish.</summary>
    public async Task<OrchestrationMetadata> RunAsync(TaskName name, object? input = null, string? instanceId = null, TimeSpan? timeout = null)
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(instanceId), TestContext.Current.CancellationToken);
        return await WaitAsync(id, timeout);
    }

    public async Task<OrchestrationMetadata> WaitAsync(string instanceId, TimeSpan? timeout = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromSeconds(60));
        return await Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (Worker is not null) await Worker.DisposeAsync();
        await Client.DisposeAsync();
    }
}
