using System.Text;
using Azure;
using Azure.Data.Tables;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Storage.Tests;

public sealed class StorageRoundTripTests(StorageFixture storage)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Blob_written_then_read_returns_the_same_bytes()
    {
        var container = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(storage.UniqueName("c"));
        await container.CreateAsync(cancellationToken: _ct);
        var payload = Encoding.UTF8.GetBytes("policy v1 weights");

        await container.GetBlobClient("jobs/j1/steps/0/rollout.json").UploadAsync(BinaryData.FromBytes(payload), _ct);
        var read = await container.GetBlobClient("jobs/j1/steps/0/rollout.json").DownloadContentAsync(_ct);

        Assert.Equal(payload, read.Value.Content.ToArray());
    }

    [Fact]
    public async Task Queue_message_sent_is_received_once_and_deleted()
    {
        var queue = storage.Account.CreateQueueServiceClient().GetQueueClient(storage.UniqueName("q"));
        await queue.CreateAsync(cancellationToken: _ct);

        await queue.SendMessageAsync("grade shard 3", _ct);
        var received = await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30), _ct);
        Assert.Equal("grade shard 3", received.Value.MessageText);
        await queue.DeleteMessageAsync(received.Value.MessageId, received.Value.PopReceipt, _ct);

        var properties = await queue.GetPropertiesAsync(_ct);
        Assert.Equal(0, properties.Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Table_update_with_a_stale_etag_fails_with_412_and_keeps_the_newer_row()
    {
        var table = storage.Account.CreateTableServiceClient().GetTableClient(storage.UniqueName("t"));
        await table.CreateAsync(_ct);
        await table.AddEntityAsync(new TableEntity("job", "sentinel") { ["Step"] = 1 }, _ct);
        var loaded = (await table.GetEntityAsync<TableEntity>("job", "sentinel", cancellationToken: _ct)).Value;

        // A second writer commits first and moves the ETag on.
        var other = (await table.GetEntityAsync<TableEntity>("job", "sentinel", cancellationToken: _ct)).Value;
        other["Step"] = 2;
        await table.UpdateEntityAsync(other, other.ETag, TableUpdateMode.Replace, _ct);

        loaded["Step"] = 99;
        var conflict = await Assert.ThrowsAsync<RequestFailedException>(
            () => table.UpdateEntityAsync(loaded, loaded.ETag, TableUpdateMode.Replace, _ct));
        Assert.Equal(412, conflict.Status);

        var current = (await table.GetEntityAsync<TableEntity>("job", "sentinel", cancellationToken: _ct)).Value;
        Assert.Equal(2, current.GetInt32("Step"));
    }

    [Fact]
    public void Development_storage_resolves_to_the_emulator_defaults()
    {
        var account = StorageAccount.FromConnectionString("UseDevelopmentStorage=true");

        Assert.True(account.IsDevelopmentStorage);
        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), account.CreateBlobServiceClient().Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), account.CreateTableServiceClient().Uri);
    }

    [Fact]
    public void Missing_storage_setting_names_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageAccount.FromSettings("AzureWebJobsStorage", _ => null));

        Assert.Contains("AzureWebJobsStorage", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_based_settings_build_service_uris_from_the_account_name()
    {
        var settings = new Dictionary<string, string> { ["AzureWebJobsStorage:accountName"] = "rftprod" };

        var account = StorageAccount.FromSettings("AzureWebJobsStorage", k => settings.GetValueOrDefault(k));

        Assert.False(account.IsDevelopmentStorage);
        Assert.Equal(new Uri("https://rftprod.queue.core.windows.net"), account.CreateQueueServiceClient().Uri);
    }
}
