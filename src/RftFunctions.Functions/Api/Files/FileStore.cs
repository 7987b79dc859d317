using System.Security.Cryptography;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using RftFunctions.Storage;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Api.Files;

/// <summary>
/// Files of every project: content in the <c>files</c> container under the file id, metadata in the <c>Files</c> table
/// (partition = project, so a lookup from another project finds nothing). A file is validated as an RFT dataset when
/// it is stored; the training orchestration reads content through <see cref="OpenReadAsync"/>.
/// </summary>
public sealed class FileStore(StorageAccount storage, ApiOptions options)
{
    /// <summary>How many validation errors the file object's status_details lists.</summary>
    public const int MaxListedErrors = 10;

    private readonly TableClient _table = storage.CreateTableServiceClient().GetTableClient(options.FilesTable);
    private readonly BlobContainerClient _container = storage.CreateBlobServiceClient().GetBlobContainerClient(options.FilesContainer);
    private int _ready;

    /// <summary>A new file id.</summary>
    public static string NewId() => "file-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    /// <summary>The blob holding a file's content.</summary>
    public async Task<BlobClient> BlobAsync(string fileId, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        return _container.GetBlobClient(fileId);
    }

    /// <summary>Validates the stored content of <paramref name="fileId"/> and records the file object (replacing any
    /// earlier record of the same id, which makes a retried trigger idempotent).</summary>
    public async Task<FileObject> RegisterAsync(string project, string fileId, string filename, string purpose, CancellationToken cancellationToken)
    {
        var blob = await BlobAsync(fileId, cancellationToken);
        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        var limits = DatasetLimits.Training with { MaxFileBytes = options.MaxUploadBytes };
        DatasetReadResult result;
        await using (var content = await blob.OpenReadAsync(cancellationToken: cancellationToken))
            result = await Task.Run(() => RftDatasetReader.Read(content, limits), cancellationToken);
        string? details = result.Errors.Count == 0 ? null
            : string.Join("\n", result.Errors.Take(MaxListedErrors).Select(e => $"{e} ({e.Code})"))
              + (result.Errors.Count > MaxListedErrors ? $"\n... and {result.Errors.Count - MaxListedErrors} more" : "");
        var now = DateTimeOffset.UtcNow;
        var file = new FileObject(fileId, properties.Value.ContentLength, now.ToUnixTimeSeconds(), filename, purpose,
            result.IsValid ? "processed" : "error", details);
        await _table.UpsertEntityAsync(new TableEntity(project, fileId)
        {
            ["Bytes"] = file.Bytes,
            ["CreatedAtUnix"] = file.CreatedAt,
            // created_at has whole seconds; the list orders by this so files uploaded within one second keep their order.
            ["CreatedAtTicks"] = now.UtcTicks,
            ["Filename"] = file.Filename,
            ["Purpose"] = file.Purpose,
            ["Status"] = file.Status,
            ["StatusDetails"] = file.StatusDetails,
            ["Examples"] = result.Examples.Count,
        }, TableUpdateMode.Replace, cancellationToken);
        return file;
    }

    /// <summary>The file object, or null when <paramref name="project"/> has no such file.</summary>
    public async Task<FileObject?> GetAsync(string project, string fileId, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        if (!IsValidId(fileId)) return null;
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(project, fileId, cancellationToken: cancellationToken);
        return row.HasValue ? ToFile(row.Value!) : null;
    }

    /// <summary>Every file of <paramref name="project"/>, newest first.</summary>
    public async Task<IReadOnlyList<FileObject>> ListAsync(string project, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        var files = new List<(FileObject File, long Ticks)>();
        await foreach (var e in _table.QueryAsync<TableEntity>(x => x.PartitionKey == project, cancellationToken: cancellationToken))
        {
            var file = ToFile(e);
            files.Add((file, e.GetInt64("CreatedAtTicks") ?? DateTimeOffset.FromUnixTimeSeconds(file.CreatedAt).UtcTicks));
        }
        return files.OrderByDescending(f => f.Ticks).ThenByDescending(f => f.File.Id, StringComparer.Ordinal).Select(f => f.File).ToList();
    }

    /// <summary>Opens a file's content for reading, or null when <paramref name="project"/> has no such file.</summary>
    public async Task<Stream?> OpenReadAsync(string project, string fileId, CancellationToken cancellationToken)
    {
        if (await GetAsync(project, fileId, cancellationToken) is null) return null;
        return await _container.GetBlobClient(fileId).OpenReadAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Deletes a file's record and content; false when <paramref name="project"/> has no such file.</summary>
    public async Task<bool> DeleteAsync(string project, string fileId, CancellationToken cancellationToken)
    {
        if (await GetAsync(project, fileId, cancellationToken) is null) return false;
        await _container.GetBlobClient(fileId).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        await _table.DeleteEntityAsync(project, fileId, ETag.All, cancellationToken);
        return true;
    }

    private static bool IsValidId(string id) =>
        id.Length is > 5 and <= 64 && id.StartsWith("file-", StringComparison.Ordinal) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static FileObject ToFile(TableEntity e) => new(e.RowKey, e.GetInt64("Bytes") ?? 0, e.GetInt64("CreatedAtUnix") ?? 0,
        e.GetString("Filename") ?? "", e.GetString("Purpose") ?? "", e.GetString("Status") ?? "error", e.GetString("StatusDetails"));

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _ready) == 1) return;
        await _table.CreateIfNotExistsAsync(cancellationToken);
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        Volatile.Write(ref _ready, 1);
    }
}
