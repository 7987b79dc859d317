using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using RftFunctions.Functions.Api.Chat;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>The API in the real <c>rft</c> process, and the <c>rft keys</c> verbs, as an operator uses them.</summary>
public sealed class HostAndCliTests(StorageFixture storage)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Keys_made_with_the_CLI_authenticate_against_the_real_host_until_revoked()
    {
        var prefix = storage.UniqueName("h");
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = prefix,
            ["Rft__DevelopmentApiKey"] = "sk-dev-host",
            ["Rft__Roles"] = "api",
        };
        var (code, output) = await RunCliAsync(settings, "keys", "create", "--project", "cli-project");
        Assert.True(code == 0, output);
        using var created = JsonDocument.Parse(output);
        var key = created.RootElement.GetProperty("key").GetString()!;
        var keyId = created.RootElement.GetProperty("id").GetString()!;
        (code, output) = await RunCliAsync(settings, "keys", "list");
        Assert.True(code == 0, output);
        Assert.Contains(keyId, output, StringComparison.Ordinal);
        Assert.DoesNotContain(key, output, StringComparison.Ordinal);
        (code, _) = await RunCliAsync(settings, "keys", "create", "--project", "bad project!");
        Assert.Equal(2, code);

        await using var host = HostProcess.Start(settings);
        using var anonymous = new HttpClient();
        using var unauthorized = await host.WaitForAsync(anonymous, "/v1/models", TimeSpan.FromSeconds(90), _ct);
        await ApiAssert.ErrorAsync(unauthorized, 401);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var models = await ApiAssert.OkAsync(await client.Get("/v1/models"));
        Assert.Equal("list", models.GetProperty("object").GetString());
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk-dev-host");
        await ApiAssert.OkAsync(await client.Get("/v1/files"));

        (code, output) = await RunCliAsync(settings, "keys", "revoke", keyId);
        Assert.True(code == 0, output);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        await ApiAssert.ErrorAsync(await client.Get("/v1/models"), 401);
    }

    [Fact]
    public async Task The_models_CLI_registers_a_folder_that_the_API_then_lists()
    {
        var folder = Directory.CreateTempSubdirectory("rft-cli-model-").FullName;
        try
        {
            RftFunctions.Model.TinyModelFactory.CreateFolder(folder, RftFunctions.Model.ModelArchitecture.Llama, seed: 5);
            var prefix = storage.UniqueName("m");
            var settings = new Dictionary<string, string> { ["AzureWebJobsStorage"] = storage.ConnectionString, ["Rft__StoragePrefix"] = prefix };
            var (code, output) = await RunCliAsync(settings, "models", "register", "--project", "lab", "--name", "tiny-llama", "--path", folder);
            Assert.True(code == 0, output);
            (code, output) = await RunCliAsync(settings, "models", "list", "--project", "lab");
            Assert.True(code == 0, output);
            Assert.Contains("tiny-llama", output, StringComparison.Ordinal);
            (code, output) = await RunCliAsync(settings, "models", "register", "--project", "lab", "--name", "broken", "--path", Path.GetTempPath());
            Assert.Equal(1, code);
            Assert.Contains("missing config.json", output, StringComparison.Ordinal);

            await using var server = await ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:StoragePrefix"] = prefix, ["Rft:DevelopmentProject"] = "lab" });
            using var client = server.Client();
            var model = await ApiAssert.OkAsync(await client.Get("v1/models/tiny-llama"));
            Assert.Equal("lab", model.GetProperty("owned_by").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("""{"answer": "BRCA1"}""", null)]
    [InlineData("""{"answer": 3}""", "$.answer: expected string")]
    [InlineData("""{"other": "x"}""", "missing required property 'answer'")]
    [InlineData("""{"answer": "x", "extra": 1}""", "'extra' is not allowed")]
    [InlineData("""BRCA1""", "not valid JSON")]
    public void Json_output_is_checked_against_the_schema(string output, string? problem)
    {
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}""");
        var error = JsonOutputCheck.Check(output, schema.RootElement);
        if (problem is null) Assert.Null(error);
        else Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Streaming_holds_back_text_that_may_become_a_stop_string()
    {
        Assert.Equal("abc", ChatCompletionsApi.Stable("abcEN", ["END"]));
        Assert.Equal("abc", ChatCompletionsApi.Stable("abcENDxyz", ["END"]));
        Assert.Equal("abcx", ChatCompletionsApi.Stable("abcx", ["END"]));
        Assert.Equal("ab", ChatCompletionsApi.Stable("ab\uFFFD", []));
    }

    private async Task<(int Code, string Output)> RunCliAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var root = Directory.CreateTempSubdirectory("rft-cli-").FullName;
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "host.json"), Path.Combine(root, "host.json"));
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rft.dll"));
            foreach (var arg in args) start.ArgumentList.Add(arg);
            start.Environment["RFT_ROOT"] = root;
            foreach (var (key, value) in environment) start.Environment[key] = value;
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(_ct);
            var stderr = process.StandardError.ReadToEndAsync(_ct);
            await process.WaitForExitAsync(_ct);
            return (process.ExitCode, await stdout + await stderr);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
