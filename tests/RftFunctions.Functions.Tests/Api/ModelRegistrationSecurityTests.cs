using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// <c>POST /v1/models</c> registers only what the caller's project owns: blobs in its own folder of the models
/// container, server folders only under the operator's import root, never through a symlink; every refusal reads the
/// same, so nothing is learned about other projects or the server's folders.
/// </summary>
public sealed class ModelRegistrationSecurityTests(StorageFixture storage) : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("rft-model-sec-").FullName;

    private string Root => Path.Combine(_scratch, "import");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task A_project_cannot_register_or_chat_with_another_projects_blobs_and_the_refusal_is_the_same_as_for_a_missing_folder()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var a = server.Client(await server.CreateKeyAsync("alice"));
        using var b = server.Client(await server.CreateKeyAsync("bob"));
        var models = await UploadModelAsync(server, "alice/base");

        await ApiAssert.OkAsync(await a.PostJson("v1/models", Register("alice-base", blob: $"{models.Name}/alice/base")));

        var foreign = await ApiAssert.ErrorAsync(await b.PostJson("v1/models", Register("stolen", blob: $"{models.Name}/alice/base")), 400, "blob");
        var dotted = await ApiAssert.ErrorAsync(await b.PostJson("v1/models", Register("stolen", blob: $"{models.Name}/bob/../alice/base")), 400, "blob");
        var missing = await ApiAssert.ErrorAsync(await b.PostJson("v1/models", Register("stolen", blob: $"{models.Name}/bob/nothing-here")), 400, "blob");
        var otherContainer = await ApiAssert.ErrorAsync(await b.PostJson("v1/models", Register("stolen", blob: $"{server.Prefix}files/alice")), 400, "blob");
        var noContainer = await ApiAssert.ErrorAsync(await b.PostJson("v1/models", Register("stolen", blob: "no-such-container/bob/x")), 400, "blob");
        foreach (var refusal in new[] { foreign, dotted, otherContainer, noContainer })
            Assert.Equal(missing.GetProperty("message").GetString(), refusal.GetProperty("message").GetString());
        Assert.DoesNotContain("alice", missing.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Nothing was registered for bob, so bob cannot chat with alice's weights under any name.
        Assert.Empty((await ApiAssert.OkAsync(await b.Get("v1/models"))).GetProperty("data").EnumerateArray());
        await ApiAssert.ErrorAsync(await b.PostJson("v1/chat/completions", """{"model":"stolen","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"""), 404, "model");
        await ApiAssert.ErrorAsync(await b.PostJson("v1/chat/completions", """{"model":"alice-base","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"""), 404, "model");
    }

    [Fact]
    public async Task Path_registration_is_refused_when_no_import_root_is_configured()
    {
        var folder = ModelFolder(Path.Combine(_scratch, "anywhere"));
        await using var server = await ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:ModelImportRoot"] = "" });
        using var client = server.Client();

        var error = await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m", path: folder)), 403, "path");

        Assert.DoesNotContain(_scratch, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty((await ApiAssert.OkAsync(await client.Get("v1/models"))).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Path_registration_reads_only_model_files_under_the_root_and_follows_no_symlink()
    {
        var good = ModelFolder(Path.Combine(Root, "good"));
        File.WriteAllText(Path.Combine(good, "notes.txt"), "not a model file");
        var outside = ModelFolder(Path.Combine(_scratch, "outside"));
        Directory.CreateSymbolicLink(Path.Combine(Root, "linked-outside"), outside);
        Directory.CreateSymbolicLink(Path.Combine(Root, "linked-inside"), good);
        var leaky = Directory.CreateDirectory(Path.Combine(Root, "leaky")).FullName;
        File.CreateSymbolicLink(Path.Combine(leaky, "config.json"), "/etc/passwd");
        File.WriteAllText(Path.Combine(leaky, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(leaky, "model.safetensors"), "x");
        var nested = Directory.CreateDirectory(Path.Combine(Root, "linked-inside-parent")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(nested, "sub"), outside);
        await using var server = await ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:ModelImportRoot"] = Root });
        using var client = server.Client();

        var ok = await ApiAssert.OkAsync(await client.PostJson("v1/models", Register("good", path: "good")));
        Assert.Equal("good", ok.GetProperty("id").GetString());
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json"], await BlobNamesAsync(server, "dev/good/"));

        var missing = await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m1", path: "no-such-folder")), 400, "path");
        var refusals = new[]
        {
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m2", path: outside)), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m3", path: "../outside")), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m4", path: "linked-outside")), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m5", path: "linked-inside")), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m6", path: "leaky")), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m7", path: "linked-inside-parent/sub")), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m8", path: "/etc")), 400, "path"),
            await ApiAssert.ErrorAsync(await client.PostJson("v1/models", Register("m9", path: Path.Combine(Root, "..", "outside"))), 400, "path"),
        };
        foreach (var refusal in refusals)
            Assert.Equal(missing.GetProperty("message").GetString(), refusal.GetProperty("message").GetString());
        Assert.DoesNotContain(_scratch, missing.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Only "good" was registered, and no refused folder left a blob behind (so /etc/passwd never reached storage).
        Assert.Equal(["good"], (await ApiAssert.OkAsync(await client.Get("v1/models"))).GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(["dev/good/config.json", "dev/good/model.safetensors", "dev/good/tokenizer.json"], await BlobNamesAsync(server, ""));
    }

    private static string Register(string id, string? blob = null, string? path = null) =>
        JsonSerializer.Serialize(blob is not null ? (object)new { id, blob } : new { id, path });

    /// <summary>A folder with the files a Hugging Face model needs (contents do not matter to registration).</summary>
    private static string ModelFolder(string path)
    {
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "config.json"), "{}");
        File.WriteAllText(Path.Combine(path, "tokenizer.json"), "{}");
        File.WriteAllText(Path.Combine(path, "model.safetensors"), "weights");
        return path;
    }

    private static async Task<BlobContainerClient> UploadModelAsync(ApiServer server, string prefix)
    {
        var container = ModelsContainer(server);
        await container.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        foreach (var name in new[] { "config.json", "tokenizer.json", "model.safetensors" })
            await container.GetBlobClient($"{prefix}/{name}").UploadAsync(BinaryData.FromString("{}"), overwrite: true, TestContext.Current.CancellationToken);
        return container;
    }

    private static BlobContainerClient ModelsContainer(ApiServer server) =>
        server.Services.GetService(typeof(RftFunctions.Storage.StorageAccount)) is RftFunctions.Storage.StorageAccount account
            ? account.CreateBlobServiceClient().GetBlobContainerClient(server.Prefix.ToLowerInvariant() + "models")
            : throw new InvalidOperationException("no storage account");

    private static async Task<List<string>> BlobNamesAsync(ApiServer server, string prefix)
    {
        var names = new List<string>();
        await foreach (var blob in ModelsContainer(server).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, TestContext.Current.CancellationToken))
            names.Add(blob.Name[prefix.Length..]);
        return names.Order(StringComparer.Ordinal).ToList();
    }
}
