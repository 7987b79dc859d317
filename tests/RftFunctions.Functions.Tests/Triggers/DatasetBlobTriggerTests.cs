using System.Text.Json;
using Azure.Storage.Queues;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Functions.Triggers;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Triggers;

public sealed class DatasetBlobTriggerTests(StorageFixture storage)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dropped_blob_becomes_a_validated_file_of_its_project_once_with_a_completed_receipt()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client(await server.CreateKeyAsync("genes"));
        using var other = server.Client();
        var datasets = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(server.Prefix + "datasets");
        await datasets.CreateIfNotExistsAsync(cancellationToken: _ct);
        var uploaded = await datasets.GetBlobClient("genes/train.jsonl").UploadAsync(BinaryData.FromString(ApiAssert.ValidDataset), _ct);
        await datasets.GetBlobClient("genes/broken.jsonl").UploadAsync(BinaryData.FromString("{\"messages\": []}\n"), _ct);

        var files = await PollAsync(async () =>
        {
            var list = (await ApiAssert.OkAsync(await client.Get("v1/files"))).GetProperty("data").EnumerateArray().ToList();
            return list.Count == 2 ? list : null;
        });
        var train = files.Single(f => f.GetProperty("filename").GetString() == "train.jsonl");
        var broken = files.Single(f => f.GetProperty("filename").GetString() == "broken.jsonl");
        Assert.Equal("processed", train.GetProperty("status").GetString());
        Assert.Equal(DatasetBlobTrigger.FileIdFor("genes/train.jsonl", uploaded.Value.ETag), train.GetProperty("id").GetString());
        Assert.Equal("error", broken.GetProperty("status").GetString());
        Assert.Contains("line 1", broken.GetProperty("status_details").GetString(), StringComparison.Ordinal);
        Assert.Equal(ApiAssert.ValidDataset, await client.GetText($"v1/files/{train.GetProperty("id").GetString()}/content"));
        Assert.Empty((await ApiAssert.OkAsync(await other.Get("v1/files"))).GetProperty("data").EnumerateArray());

        var receipt = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(DatasetBlobTrigger.ReceiptsContainer)
            .GetBlobClient(DatasetBlobTrigger.ReceiptName(server.Prefix, server.Prefix + "datasets", "genes/train.jsonl", uploaded.Value.ETag));
        var metadata = (await receipt.GetPropertiesAsync(cancellationToken: _ct)).Value.Metadata;
        Assert.Equal("true", metadata["Completed"]);

        // Later scans leave a completed blob alone: still exactly two files.
        await Task.Delay(1000, _ct);
        Assert.Equal(2, (await ApiAssert.OkAsync(await client.Get("v1/files"))).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_blob_that_keeps_failing_goes_to_the_poison_queue_after_five_attempts()
    {
        await using var server = await ApiServer.StartAsync(storage);
        var datasets = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(server.Prefix + "datasets");
        await datasets.CreateIfNotExistsAsync(cancellationToken: _ct);
        // "bad project!" is not a valid project name: every attempt fails.
        var uploaded = await datasets.GetBlobClient("bad project!/train.jsonl").UploadAsync(BinaryData.FromString(ApiAssert.ValidDataset), _ct);
        var poison = storage.Account.CreateQueueServiceClient(new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 })
            .GetQueueClient(server.Prefix + "webjobs-blobtrigger-poison");

        var message = await PollAsync(async () =>
        {
            if (!await poison.ExistsAsync(_ct)) return null;
            var received = await poison.ReceiveMessagesAsync(1, cancellationToken: _ct);
            return received.Value.Length > 0 ? received.Value[0].Body.ToString() : null;
        });
        using var json = JsonDocument.Parse(message);
        Assert.Equal("bad project!/train.jsonl", json.RootElement.GetProperty("BlobName").GetString());
        Assert.Equal(server.Prefix + "datasets", json.RootElement.GetProperty("ContainerName").GetString());
        Assert.Contains("invalid project name", json.RootElement.GetProperty("Error").GetString(), StringComparison.Ordinal);
        var receipt = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(DatasetBlobTrigger.ReceiptsContainer)
            .GetBlobClient(DatasetBlobTrigger.ReceiptName(server.Prefix, server.Prefix + "datasets", "bad project!/train.jsonl", uploaded.Value.ETag));
        var metadata = (await receipt.GetPropertiesAsync(cancellationToken: _ct)).Value.Metadata;
        Assert.Equal("5", metadata["Attempts"]);
        Assert.Equal("true", metadata["Poisoned"]);
    }

    private async Task<T> PollAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await probe() is { } value) return value;
            Assert.True(DateTime.UtcNow < deadline, "the trigger did not act in time");
            await Task.Delay(100, _ct);
        }
    }
}
