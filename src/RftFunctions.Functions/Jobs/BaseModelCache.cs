using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Models;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Jobs;

/// <summary>
/// Base models of jobs, downloaded from Blob Storage once per worker process into a local folder keyed by content
/// (container, prefix and every blob's name, size and ETag), so a re-registered model with new files gets a new
/// folder and an unchanged one is never fetched twice. A download goes to a temporary folder that is renamed into
/// place when complete, so a crash mid-download never leaves a folder that looks finished (several processes on one
/// machine may share the cache).
/// </summary>
public sealed class BaseModelCache(StorageAccount account, JobStorageOptions options)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _folders = new(StringComparer.Ordinal);

    private string Root => options.BaseModelCacheDirectory.Length > 0 ? options.BaseModelCacheDirectory
        : Path.Combine(Path.GetTempPath(), "rft-base-models");

    /// <summary>The local folder holding <paramref name="folder"/>'s files.</summary>
    public async Task<string> GetAsync(BlobFolder folder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var container = account.CreateBlobServiceClient().GetBlobContainerClient(folder.Container);
        var blobs = new List<BlobItem>();
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = folder.Prefix }, cancellationToken))
            blobs.Add(blob);
        if (blobs.Count == 0) throw new DirectoryNotFoundException($"base model folder {folder.Container}/{folder.Prefix} is empty or does not exist");
        var key = new StringBuilder($"{folder.Container}/{folder.Prefix}\n");
        foreach (var blob in blobs.OrderBy(b => b.Name, StringComparer.Ordinal))
            key.Append(CultureInfo.InvariantCulture, $"{blob.Name}\t{blob.Properties.ContentLength}\t{blob.Properties.ETag}\n");
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..32];
        var lazy = _folders.GetOrAdd(hash, h => new Lazy<Task<string>>(() => DownloadAsync(container, folder.Prefix, blobs, h)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch
        {
            _folders.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(hash, lazy));
            throw;
        }
    }

    private async Task<string> DownloadAsync(Azure.Storage.Blobs.BlobContainerClient container, string prefix, List<BlobItem> blobs, string hash)
    {
        var target = Path.Combine(Root, hash);
        if (Directory.Exists(target)) return target;
        var partial = Path.Combine(Root, $"{hash}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(partial);
        try
        {
            foreach (var blob in blobs)
            {
                var relative = blob.Name[prefix.Length..];
                var path = Path.GetFullPath(Path.Combine(partial, relative));
                if (!path.StartsWith(partial, StringComparison.Ordinal) || relative.Length == 0) continue; // never outside the folder
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await container.GetBlobClient(blob.Name).DownloadToAsync(path);
            }
            try
            {
                Directory.Move(partial, target);
            }
            catch (IOException) when (Directory.Exists(target))
            {
                // Another process finished the same content first; its folder is as good as ours.
                Directory.Delete(partial, recursive: true);
            }
            return target;
        }
        catch
        {
            if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            throw;
        }
    }
}
