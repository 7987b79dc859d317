using System.Text.Json;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>Project A cannot see, use or delete project B's files, models or jobs: every answer is the 404 of an id that
/// does not exist, and A's lists never show B's objects.</summary>
public sealed class IsolationTests(StorageFixture storage)
{
    [Fact]
    public async Task One_project_cannot_see_use_or_delete_another_projects_files_and_models()
    {
        var folder = Directory.CreateTempSubdirectory("rft-iso-model-").FullName;
        try
        {
            TinyModelFactory.CreateFolder(folder, ModelArchitecture.Qwen3, seed: 8);
            await using var server = await ApiServer.StartAsync(storage);
            using var a = server.Client(await server.CreateKeyAsync("project-a"));
            using var b = server.Client(await server.CreateKeyAsync("project-b"));

            var bFile = (await ApiAssert.OkAsync(await b.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset, "b.jsonl")))).GetProperty("id").GetString()!;
            var aFile = (await ApiAssert.OkAsync(await a.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset, "a.jsonl")))).GetProperty("id").GetString()!;
            await ApiAssert.OkAsync(await b.PostJson("v1/models", JsonSerializer.Serialize(new { id = "b-model", path = folder })));

            // Files: A's list has only A's file; B's id is unknown to every files endpoint, as a cursor too.
            Assert.Equal([aFile], Ids(await ApiAssert.OkAsync(await a.Get("v1/files"))));
            await ApiAssert.ErrorAsync(await a.Get($"v1/files/{bFile}"), 404, "id");
            await ApiAssert.ErrorAsync(await a.Get($"v1/files/{bFile}/content"), 404, "id");
            await ApiAssert.ErrorAsync(await a.Delete($"v1/files/{bFile}"), 404, "id");
            await ApiAssert.ErrorAsync(await a.Get($"v1/files?after={bFile}"), 400, "after");
            // The unknown-id answer is the same as for an id that never existed (nothing reveals that B's exists).
            var hidden = await ApiAssert.ErrorAsync(await a.Get($"v1/files/{bFile}"), 404);
            var absent = await ApiAssert.ErrorAsync(await a.Get("v1/files/file-000000000000000000000000"), 404);
            Assert.Equal(absent.GetProperty("code").GetString(), hidden.GetProperty("code").GetString());

            // Models: not listed, not retrievable, not deletable, not usable for chat.
            Assert.DoesNotContain("b-model", Ids(await ApiAssert.OkAsync(await a.Get("v1/models"))));
            await ApiAssert.ErrorAsync(await a.Get("v1/models/b-model"), 404, "model");
            await ApiAssert.ErrorAsync(await a.Delete("v1/models/b-model"), 404, "model");
            await ApiAssert.ErrorAsync(await a.PostJson("v1/chat/completions", """{"model":"b-model","messages":[{"role":"user","content":"hi"}],"max_tokens":2}"""), 404, "model");

            // B still has everything, and can use it.
            Assert.Equal([bFile], Ids(await ApiAssert.OkAsync(await b.Get("v1/files"))));
            Assert.Equal(ApiAssert.ValidDataset, await b.GetText($"v1/files/{bFile}/content"));
            Assert.Equal(["b-model"], Ids(await ApiAssert.OkAsync(await b.Get("v1/models"))));
            var completion = await ApiAssert.OkAsync(await b.PostJson("v1/chat/completions", """{"model":"b-model","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"seed":1}"""));
            Assert.Equal("b-model", completion.GetProperty("model").GetString());

            // A may use the same model name in its own namespace without touching B's.
            await ApiAssert.OkAsync(await a.PostJson("v1/models", JsonSerializer.Serialize(new { id = "b-model", path = folder })));
            Assert.Equal("project-a", (await ApiAssert.OkAsync(await a.Get("v1/models/b-model"))).GetProperty("owned_by").GetString());
            Assert.Equal("project-b", (await ApiAssert.OkAsync(await b.Get("v1/models/b-model"))).GetProperty("owned_by").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static List<string?> Ids(JsonElement list) => list.GetProperty("data").EnumerateArray().Select(x => x.GetProperty("id").GetString()).ToList();
}
