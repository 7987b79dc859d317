using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Health;

/// <summary>The outcome of probing one storage service.</summary>
public sealed record ServiceProbe(string Service, bool Ok, string? Error);

/// <summary>Probes the blob, queue and table services of the storage account, fast and without retries.</summary>
public sealed class StorageHealth
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private readonly BlobServiceClient _blobs;
    private readonly QueueServiceClient _queues;
    private readonly TableServiceClient _tables;

    public StorageHealth(StorageAccount account)
    {
        // A health check must answer quickly: one try each, short network timeout.
        static T NoRetry<T>(T options) where T : ClientOptions
        {
            options.Retry.MaxRetries = 0;
            options.Retry.NetworkTimeout = ProbeTimeout;
            return options;
        }
        _blobs = account.CreateBlobServiceClient(NoRetry(new BlobClientOptions()));
        _queues = account.CreateQueueServiceClient(NoRetry(new QueueClientOptions()));
        _tables = account.CreateTableServiceClient(NoRetry(new TableClientOptions()));
    }

    public async Task<IReadOnlyList<ServiceProbe>> ProbeAsync(CancellationToken cancellationToken)
    {
        return await Task.WhenAll(
            Probe("blob", ct => _blobs.GetPropertiesAsync(ct), cancellationToken),
            Probe("queue", ct => _queues.GetPropertiesAsync(ct), cancellationToken),
            Probe("table", ct => _tables.GetPropertiesAsync(ct), cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<ServiceProbe> Probe<T>(string service, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        try
        {
            await call(timeout.Token).ConfigureAwait(false);
            return new ServiceProbe(service, true, null);
        }
        catch (RequestFailedException e)
        {
            return new ServiceProbe(service, false, $"HTTP {e.Status} {e.ErrorCode}: {FirstLine(e.Message)}");
        }
        catch (Azure.Identity.AuthenticationFailedException e)
        {
            // Managed identity not available or not allowed: storage is unreachable for this process.
            return new ServiceProbe(service, false, "authentication failed: " + FirstLine(e.Message));
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or AggregateException)
        {
            return new ServiceProbe(service, false, e is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : FirstLine(e.Message));
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
