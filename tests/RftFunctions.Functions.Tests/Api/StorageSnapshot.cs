using RftFunctions.Storage;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// Every blob (name and ETag) in the containers and every entity (keys and ETag) in the tables whose names start with
/// a test's storage prefix: equal snapshots mean nothing was written, replaced or deleted in between. Empty tables and
/// containers are not data (the API creates its tables on first use, e.g. when it first looks up a key).
/// </summary>
internal static class StorageSnapshot
{
    public static async Task<SortedSet<string>> TakeAsync(StorageAccount account, string prefix)
    {
        var ct = TestContext.Current.CancellationToken;
        var items = new SortedSet<string>(StringComparer.Ordinal);
        var blobs = account.CreateBlobServiceClient();
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: prefix.ToLowerInvariant(), cancellationToken: ct))
        {
            await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync(cancellationToken: ct))
                items.Add($"blob {container.Name}/{blob.Name} {blob.Properties.ETag}");
        }
        var tables = account.CreateTableServiceClient();
        await foreach (var table in tables.QueryAsync(cancellationToken: ct))
        {
            if (!table.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) continue;
            await foreach (var entity in tables.GetTableClient(table.Name).QueryAsync<Azure.Data.Tables.TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: ct))
                items.Add($"entity {table.Name}/{entity.PartitionKey}/{entity.RowKey} {entity.ETag}");
        }
        return items;
    }
}
