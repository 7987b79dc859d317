using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace RftFunctions.Storage;

/// <summary>
/// One Azure Storage account (or Azurite) and the three service clients on it. Built either from a connection string
/// or, as Azure Functions does for identity-based connections, from service URIs plus a token credential.
/// </summary>
public sealed class StorageAccount
{
    private readonly Func<BlobClientOptions?, BlobServiceClient> _blob;
    private readonly Func<QueueClientOptions?, QueueServiceClient> _queue;
    private readonly Func<TableClientOptions?, TableServiceClient> _table;

    private StorageAccount(
        string description,
        Func<BlobClientOptions?, BlobServiceClient> blob,
        Func<QueueClientOptions?, QueueServiceClient> queue,
        Func<TableClientOptions?, TableServiceClient> table,
        bool isDevelopmentStorage)
    {
        Description = description;
        _blob = blob;
        _queue = queue;
        _table = table;
        IsDevelopmentStorage = isDevelopmentStorage;
    }

    /// <summary>Where the account is, for logs and health reports; never contains a key.</summary>
    public string Description { get; }

    /// <summary>True when the account is the local emulator (<c>UseDevelopmentStorage=true</c>).</summary>
    public bool IsDevelopmentStorage { get; }

    /// <summary>A blob service client; pass options to change retries or timeouts.</summary>
    public BlobServiceClient CreateBlobServiceClient(BlobClientOptions? options = null) => _blob(options);

    /// <summary>A queue service client; pass options to change retries or timeouts.</summary>
    public QueueServiceClient CreateQueueServiceClient(QueueClientOptions? options = null) => _queue(options);

    /// <summary>A table service client; pass options to change retries or timeouts.</summary>
    public TableServiceClient CreateTableServiceClient(TableClientOptions? options = null) => _table(options);

    /// <summary>An account from a storage connection string; <c>UseDevelopmentStorage=true</c> means Azurite's defaults.</summary>
    public static StorageAccount FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        bool development = DevelopmentStorage.IsDevelopmentStorage(connectionString);
        var resolved = development ? DevelopmentStorage.DefaultConnectionString : connectionString;
        var parts = ConnectionStringParts.Parse(resolved);
        var description = parts.TryGetValue("BlobEndpoint", out var endpoint)
            ? endpoint
            : parts.TryGetValue("AccountName", out var account) ? account : "storage account";
        return new StorageAccount(
            development ? $"development storage ({description})" : description,
            o => o is null ? new BlobServiceClient(resolved) : new BlobServiceClient(resolved, o),
            o => o is null ? new QueueServiceClient(resolved) : new QueueServiceClient(resolved, o),
            o => o is null ? new TableServiceClient(resolved) : new TableServiceClient(resolved, o),
            development);
    }

    /// <summary>An account reached with a token credential (managed identity in Azure), one URI per service.</summary>
    public static StorageAccount FromServiceUris(Uri blobUri, Uri queueUri, Uri tableUri, TokenCredential credential)
    {
        ArgumentNullException.ThrowIfNull(credential);
        return new StorageAccount(
            blobUri.ToString(),
            o => new BlobServiceClient(blobUri, credential, o),
            o => new QueueServiceClient(queueUri, credential, o),
            o => new TableServiceClient(tableUri, credential, o),
            isDevelopmentStorage: false);
    }

    /// <summary>
    /// Resolves a Functions-style connection setting named <paramref name="name"/>: either a connection string under
    /// that name, or the identity-based form <c>{name}__accountName</c> / <c>{name}__blobServiceUri</c> (+ queue and
    /// table URIs) authenticated with <see cref="DefaultAzureCredential"/>.
    /// </summary>
    /// <param name="name">The setting name, e.g. <c>AzureWebJobsStorage</c>.</param>
    /// <param name="getSetting">Reads a setting; nested keys are passed with <c>:</c> as separator.</param>
    public static StorageAccount FromSettings(string name, Func<string, string?> getSetting)
    {
        var connectionString = getSetting(name);
        if (!string.IsNullOrWhiteSpace(connectionString)) return FromConnectionString(connectionString);

        var accountName = getSetting($"{name}:accountName");
        Uri? Service(string service) =>
            getSetting($"{name}:{service}ServiceUri") is { Length: > 0 } uri ? new Uri(uri)
            : accountName is { Length: > 0 } ? new Uri($"https://{accountName}.{service}.core.windows.net")
            : null;
        var blob = Service("blob");
        var queue = Service("queue");
        var table = Service("table");
        if (blob is null || queue is null || table is null)
        {
            throw new InvalidOperationException(
                $"Storage setting '{name}' is missing: set it to a connection string (UseDevelopmentStorage=true for " +
                $"Azurite) or set '{name}__accountName' (or the blob/queue/table service URIs) for managed identity.");
        }
        var clientId = getSetting($"{name}:clientId");
        var credential = string.IsNullOrEmpty(clientId)
            ? new DefaultAzureCredential()
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = clientId });
        return FromServiceUris(blob, queue, table, credential);
    }
}
