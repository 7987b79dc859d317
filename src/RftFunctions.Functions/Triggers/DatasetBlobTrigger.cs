using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Queues;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Api.Files;
using RftFunctions.Functions.Health;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Triggers;

/// <summary>
/// The blob-upload trigger on the <c>datasets</c> container, done the way the Functions host's polling blob trigger does
/// it: scan the container, claim each blob version with a receipt blob
/// (<c>azure-webjobs-hosts/blobreceipts/{hostId}/{functionId}/{ETag}/{container}/{blob}</c>, created with
/// If-None-Match: *, leased while processing), and after <see cref="MaxAttempts"/> failed attempts put a message in the
/// <c>webjobs-blobtrigger-poison</c> queue. A dropped blob <c>{project}/{name}.jsonl</c> becomes a file of that project
/// (a blob at the top level belongs to the development project), validated like an upload.
/// </summary>
public sealed class DatasetBlobTrigger(StorageAccount storage, ApiOptions options, FileStore files, LoopLiveness liveness, ILogger<DatasetBlobTrigger> logger) : BackgroundService
{
    /// <summary>Attempts per blob version before it is poisoned (the Functions default).</summary>
    public const int MaxAttempts = 5;

    /// <summary>The container of the receipts (shared with the Functions host's convention).</summary>
    public const string ReceiptsContainer = "azure-webjobs-hosts";

    /// <summary>The scan's liveness name.</summary>
    public const string LoopName = "datasets-trigger";

    /// <summary>The function id in receipt paths and poison messages.</summary>
    public const string FunctionId = "RftFunctions.Functions.Triggers.DatasetBlobTrigger.Run";

    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, bool> _done = new();

    /// <summary>The receipt blob name of one blob version.</summary>
    public static string ReceiptName(string hostId, string container, string blobName, ETag etag) =>
        $"blobreceipts/{hostId}/{FunctionId}/{etag.ToString().Trim('"')}/{container}/{blobName}";

    /// <summary>The file id a dropped blob version becomes: derived from it, so a retried attempt replaces, not duplicates.</summary>
    public static string FileIdFor(string blobName, ETag etag) =>
        "file-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{blobName}\n{etag.ToString().Trim('"')}")))[..24];

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (datasets, receipts, poison) = Clients();
        var interval = TimeSpan.FromMilliseconds(Math.Max(50, options.BlobTriggerPollMilliseconds));
        // A round lists the container and registers what is new; storage calls give up within the SDK's retries.
        var loop = liveness.Register(LoopName, interval + TimeSpan.FromMinutes(5));
        var backoff = new StorageBackoff(interval);
        bool ready = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!ready)
                    {
                        await EnsureCreatedAsync(datasets, receipts, poison, stoppingToken);
                        ready = true;
                    }
                    await ScanAsync(datasets, receipts, poison, stoppingToken);
                    backoff.Succeeded();
                    loop.Beat();
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // A failed scan must not stop the host (an unhandled BackgroundService exception would); the next scan
                    // retries, backing off while storage does not answer.
                    backoff.Failed();
                    loop.Beat("last scan failed: " + e.GetType().Name);
                    logger.LogWarning(e, "datasets blob trigger: scan failed; retrying in {Delay}", backoff.Delay);
                }
                await Task.Delay(backoff.Delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            loop.Stopped(stoppingToken.IsCancellationRequested ? "host stopping" : "the scan ended while the host runs");
        }
    }

    /// <summary>
    /// Processes the current version of one blob of the datasets container (the Event Grid path): the same receipt,
    /// lease, attempts and poison handling as the scan, so a duplicate event or a scan that saw it too does nothing.
    /// Returns false when the blob no longer exists.
    /// </summary>
    public async Task<bool> ProcessBlobAsync(string blobName, CancellationToken cancellationToken)
    {
        var (datasets, receipts, poison) = Clients();
        await EnsureCreatedAsync(datasets, receipts, poison, cancellationToken);
        ETag etag;
        try
        {
            etag = (await datasets.GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken)).Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false;
        }
        await ClaimAndProcessAsync(datasets, receipts, poison, blobName, etag, cancellationToken);
        return true;
    }

    private (BlobContainerClient Datasets, BlobContainerClient Receipts, QueueClient Poison) Clients()
    {
        var blobs = storage.CreateBlobServiceClient();
        return (blobs.GetBlobContainerClient(options.DatasetsContainer), blobs.GetBlobContainerClient(ReceiptsContainer),
            storage.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }).GetQueueClient(options.PoisonQueue));
    }

    private static async Task EnsureCreatedAsync(BlobContainerClient datasets, BlobContainerClient receipts, QueueClient poison, CancellationToken cancellationToken)
    {
        await datasets.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await receipts.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
    }

    private async Task ScanAsync(BlobContainerClient datasets, BlobContainerClient receipts, QueueClient poison, CancellationToken cancellationToken)
    {
        await foreach (var item in datasets.GetBlobsAsync(cancellationToken: cancellationToken))
            await ClaimAndProcessAsync(datasets, receipts, poison, item.Name, item.Properties.ETag ?? default, cancellationToken);
    }

    private async Task ClaimAndProcessAsync(BlobContainerClient datasets, BlobContainerClient receipts, QueueClient poison, string blobName, ETag etag, CancellationToken cancellationToken)
    {
        var receiptName = ReceiptName(options.HostId, datasets.Name, blobName, etag);
        if (_done.ContainsKey(receiptName)) return;
        var receipt = receipts.GetBlockBlobClient(receiptName);
        IDictionary<string, string> metadata;
        try
        {
            metadata = new Dictionary<string, string> { ["Attempts"] = "0" };
            await receipt.UploadAsync(new MemoryStream(), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All }, Metadata = metadata }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            metadata = (await receipt.GetPropertiesAsync(cancellationToken: cancellationToken)).Value.Metadata;
        }
        if (metadata.TryGetValue("Completed", out var completed) && completed == "true")
        {
            _done[receiptName] = true;
            return;
        }
        await ProcessClaimedAsync(datasets, blobName, etag, receipt, poison, cancellationToken);
    }

    private async Task ProcessClaimedAsync(BlobContainerClient datasets, string blobName, ETag etag, BlockBlobClient receipt, QueueClient poison, CancellationToken cancellationToken)
    {
        var lease = receipt.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(LeaseDuration, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return; // another host is processing this blob version
        }
        var conditions = new BlobRequestConditions { LeaseId = lease.LeaseId };
        try
        {
            var metadata = (await receipt.GetPropertiesAsync(conditions, cancellationToken)).Value.Metadata;
            if (metadata.TryGetValue("Completed", out var completed) && completed == "true") return;
            int attempts = metadata.TryGetValue("Attempts", out var a) && int.TryParse(a, out var n) ? n : 0;
            try
            {
                var file = await RegisterAsync(datasets, blobName, etag, cancellationToken);
                metadata["Completed"] = "true";
                metadata["FileId"] = file.Id;
                logger.LogInformation("datasets blob trigger: {Blob} registered as {File} ({Status})", blobName, file.Id, file.Status);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                attempts++;
                metadata["Attempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
                logger.LogWarning("datasets blob trigger: attempt {Attempt} for {Blob} failed: {Error}", attempts, blobName, e.Message);
                if (attempts >= MaxAttempts)
                {
                    metadata["Completed"] = "true";
                    metadata["Poisoned"] = "true";
                    await poison.SendMessageAsync(JsonSerializer.Serialize(new
                    {
                        Type = "BlobTrigger",
                        FunctionId,
                        BlobType = "BlockBlob",
                        ContainerName = datasets.Name,
                        BlobName = blobName,
                        ETag = etag.ToString(),
                        Error = e.Message,
                    }), cancellationToken);
                }
            }
            await receipt.SetMetadataAsync(metadata, conditions, cancellationToken);
            if (metadata.ContainsKey("Completed")) _done[receipt.Name] = true;
        }
        finally
        {
            await lease.ReleaseAsync(cancellationToken: CancellationToken.None);
        }
    }

    private async Task<FileObject> RegisterAsync(BlobContainerClient datasets, string blobName, ETag etag, CancellationToken cancellationToken)
    {
        var segments = blobName.Split('/');
        var project = segments.Length >= 2 ? segments[0] : options.DevelopmentProject;
        ApiKeyStore.ValidateProject(project);
        var fileId = FileIdFor(blobName, etag);
        var target = await files.BlobAsync(fileId, cancellationToken);
        var source = datasets.GetBlobClient(blobName);
        // The version the receipt names, and no other: a blob replaced meanwhile gets its own receipt.
        await using (var content = await source.OpenReadAsync(new BlobOpenReadOptions(false) { Conditions = new BlobRequestConditions { IfMatch = etag } }, cancellationToken))
            await target.UploadAsync(content, overwrite: true, cancellationToken);
        return await files.RegisterAsync(project, fileId, segments[^1], FilesApi.FineTunePurpose, cancellationToken);
    }
}
