
using System.Text;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

public sealed class FilesTests(StorageFixture storage)
{
    [Fact]
    public async Task A_valid_dataset_is_processed_listed_retrievable_downloadable_and_deletable()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();

        var file = await ApiAssert.OkAsync(await client.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset)));
        var id = file.GetProperty("id").GetString()!;
        Assert.StartsWith("file-", id, StringComparison.Ordinal);
        Assert.Equal("file", file.GetProperty("object").GetString());
        Assert.Equal("processed", file.GetProperty("status").GetString());
        Assert.Equal("fine-tune", file.GetProperty("purpose").GetString());
        Assert.Equal("train.jsonl", file.GetProperty("filename").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(ApiAssert.ValidDataset), file.GetProperty("bytes").GetInt64());

        var list = await ApiAssert.OkAsync(await client.Get("v1/files"));
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal([id], list.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
        Assert.Equal(id, (await ApiAssert.OkAsync(await client.Get($"v1/files/{id}"))).GetProperty("id").GetString());
        Assert.Equal(ApiAssert.ValidDataset, await client.GetText($"v1/files/{id}/content"));

        var deleted = await ApiAssert.OkAsync(await client.Delete($"v1/files/{id}"));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        await ApiAssert.ErrorAsync(await client.Get($"v1/files/{id}"), 404);
        await ApiAssert.ErrorAsync(await client.Get($"v1/files/{id}/content"), 404);
    }

    [Fact]
    public async Task An_invalid_dataset_gets_status_error_with_line_numbered_details()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        const string bad = """
            {"messages":[{"role":"user","content":"ok"}]}
            {"messages":[{"role":"user","content":"x"}
            [1,2]
            {"messages":[{"role":"wizard","content":"x"}]}
            {"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}
            """;
        var file = await ApiAssert.OkAsync(await client.Post("v1/files", ApiAssert.Upload(bad)));
        Assert.Equal("error", file.GetProperty("status").GetString());
        var details = file.GetProperty("status_details").GetString()!;
        Assert.Contains("line 2", details, StringComparison.Ordinal);
        Assert.Contains("invalid_json", details, StringComparison.Ordinal);
        Assert.Contains("line 3", details, StringComparison.Ordinal);
        Assert.Contains("not_an_object", details, StringComparison.Ordinal);
        Assert.Contains("line 4, messages[0].role", details, StringComparison.Ordinal);
        Assert.Contains("line 5", details, StringComparison.Ordinal);
        Assert.Contains("last_message_not_user", details, StringComparison.Ordinal);
        Assert.DoesNotContain("line 1", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_refused_with_413_and_nothing_is_stored()
    {
        await using var server = await ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:MaxUploadBytes"] = "200" });
        using var client = server.Client();
        var big = string.Join("\n", Enumerable.Repeat("""{"messages":[{"role":"user","content":"0123456789"}]}""", 20));
        var error = await ApiAssert.ErrorAsync(await client.Post("v1/files", ApiAssert.Upload(big)), 413, "file");
        Assert.Equal("file_too_large", error.GetProperty("code").GetString());
        Assert.Empty((await ApiAssert.OkAsync(await client.Get("v1/files"))).GetProperty("data").EnumerateArray());
        var container = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(server.Prefix + "files");
        await foreach (var blob in container.GetBlobsAsync(cancellationToken: TestContext.Current.CancellationToken)) Assert.Fail($"blob {blob.Name} left behind");
    }

    [Fact]
    public async Task Another_project_cannot_see_read_or_delete_a_file()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var a = server.Client(await server.CreateKeyAsync("project-a"));
        using var b = server.Client(await server.CreateKeyAsync("project-b"));
        var id = (await ApiAssert.OkAsync(await a.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset)))).GetProperty("id").GetString();

        Assert.Empty((await ApiAssert.OkAsync(await b.Get("v1/files"))).GetProperty("data").EnumerateArray());
        await ApiAssert.ErrorAsync(await b.Get($"v1/files/{id}"), 404);
        await ApiAssert.ErrorAsync(await b.Get($"v1/files/{id}/content"), 404);
        await ApiAssert.ErrorAsync(await b.Delete($"v1/files/{id}"), 404);
        Assert.Equal("processed", (await ApiAssert.OkAsync(await a.Get($"v1/files/{id}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Bad_upload_requests_get_clear_errors_and_the_service_stays_healthy()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        await ApiAssert.ErrorAsync(await client.PostJson("v1/files", """{"purpose":"fine-tune"}"""), 415);
        await ApiAssert.ErrorAsync(await client.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset, purpose: null)), 400, "purpose");
        await ApiAssert.ErrorAsync(await client.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset, purpose: "assistants")), 400, "purpose");
        var noFile = new MultipartFormDataContent { { new StringContent("fine-tune"), "purpose" } };
        await ApiAssert.ErrorAsync(await client.Post("v1/files", noFile), 400, "file");
        var broken = new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-", Encoding.UTF8);
        broken.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        await ApiAssert.ErrorAsync(await client.Post("v1/files", broken), 400);
        await ApiAssert.ErrorAsync(await client.Get("v1/files?limit=0"), 400, "limit");
        await ApiAssert.ErrorAsync(await client.Get("v1/files?limit=abc"), 400, "limit");
        await ApiAssert.ErrorAsync(await client.Get("v1/files?order=sideways"), 400, "order");
        await ApiAssert.ErrorAsync(await client.Get("v1/files?after=file-nope"), 400, "after");
        await ApiAssert.ErrorAsync(await client.Get("v1/files/file-doesnotexist"), 404);
        await ApiAssert.ErrorAsync(await client.Get("v1/files/not-an-id"), 404);
        await ApiAssert.ErrorAsync(await client.Get("v1/no/such/route"), 404);

        Assert.Empty((await ApiAssert.OkAsync(await client.Get("v1/files"))).GetProperty("data").EnumerateArray());
        await ApiAssert.OkAsync(await client.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset)));
    }

    [Fact]
    public async Task Listing_pages_with_after_and_limit()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        for (int i = 0; i < 3; i++) await ApiAssert.OkAsync(await client.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset, $"f{i}.jsonl")));
        var all = (await ApiAssert.OkAsync(await client.Get("v1/files"))).GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()).ToList();
        var first = await ApiAssert.OkAsync(await client.Get("v1/files?limit=2"));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal(all[..2], first.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
        var rest = await ApiAssert.OkAsync(await client.Get($"v1/files?limit=2&after={all[1]}"));
        Assert.False(rest.GetProperty("has_more").GetBoolean());
        Assert.Equal([all[2]], rest.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
    }
}
