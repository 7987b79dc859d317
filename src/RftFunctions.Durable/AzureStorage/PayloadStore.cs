using System.IO.Compression;
using System.Text;
using Azure.Storage.Blobs;

namespace RftFunctions.Durable.AzureStorage;

/// <summary>
/// Payloads too large for a queue message (~45 KB) or a table property (~60 KB) are gzipped into the hub's
/// <c>largemessages</c> container under the instance's escaped id, so purging an instance can remove them.
/// </summary>
internal sealed class PayloadStore(BlobContainerClient container)
{
    /// <summary>Queue messages above this many UTF-8 bytes go to a blob (the service limit is 64 KB).</summary>
    public const int MaxQueueMessageBytes = 45 * 1024;

    /// <summary>Table string properties above this many UTF-16 bytes go to a blob (the service limit is 64 KB).</summary>
    public const int MaxTablePropertyBytes = 60 * 1024;

    public BlobContainerClient Container => container;

    public static bool IsTooLargeForTable(string? value) => value is not null && value.Length * 2 > MaxTablePropertyBytes;

    public async Task<string> UploadAsync(string instanceId, string kind, string content, CancellationToken cancellationToken)
    {
        var name = $"{TaskHubNames.EscapeKey(instanceId)}/{kind}-{Guid.NewGuid():N}.json.gz";
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            await gzip.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }
        buffer.Position = 0;
        await container.GetBlobClient(name).UploadAsync(buffer, overwrite: true, cancellationToken).ConfigureAwait(false);
        return name;
    }

    public async Task<string> DownloadAsync(string blobName, CancellationToken cancellationToken)
    {
        var response = await container.GetBlobClient(blobName).DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var gzip = new GZipStream(response.Value.Content, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes every large payload of an instance.</summary>
    public async Task DeleteInstanceAsync(string instanceId, CancellationToken cancellationToken)
    {
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, TaskHubNames.EscapeKey(instanceId) + "/", cancellationToken).ConfigureAwait(false))
        {
            await container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
