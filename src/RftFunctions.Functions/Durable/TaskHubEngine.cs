using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using DurableTask.AzureStorage;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// Makes the engine's <see cref="AzureStorageOrchestrationService"/> for the app's task hub: the storage account the
/// host resolved (connection string or managed identity) and host.json's <c>extensions.durableTask</c>.
/// </summary>
public sealed class TaskHubEngine(StorageAccount account, TaskHubOptions options, ILoggerFactory? loggerFactory = null)
{
    /// <summary>The storage account the hub lives in.</summary>
    public StorageAccount Account => account;

    /// <summary>The hub's settings.</summary>
    public TaskHubOptions Options { get; } = options.Validate();

    /// <summary>This process's name in partition leases (host name and process id, as the Functions host uses).</summary>
    public string WorkerId { get; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>A new engine service (one per worker or client; each owns its storage clients).</summary>
    public AzureStorageOrchestrationService CreateService()
    {
        var storage = new StorageAccountClientProvider(
            new Provider<BlobServiceClient, BlobClientOptions>(account.CreateBlobServiceClient, () => new BlobClientOptions()),
            new Provider<QueueServiceClient, QueueClientOptions>(account.CreateQueueServiceClient, () => new QueueClientOptions()),
            new Provider<TableServiceClient, TableClientOptions>(account.CreateTableServiceClient, () => new TableClientOptions()));
        return new AzureStorageOrchestrationService(Options.ToEngineSettings(storage, WorkerId, loggerFactory));
    }

    /// <summary>A client over its own engine service.</summary>
    public TaskHubClient CreateClient() => new(CreateService(), Options.HubName);

    private sealed class Provider<TClient, TOptions>(Func<TOptions?, TClient> create, Func<TOptions> options) : IStorageServiceClientProvider<TClient, TOptions>
        where TOptions : Azure.Core.ClientOptions
    {
        public TOptions CreateOptions() => options();

        public TClient CreateClient(TOptions options) => create(options);
    }
}
