using System.Text.Json;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Cli;

/// <summary>The <c>rft</c> command line against a real host process on Azurite, as a user drives it from a shell.</summary>
public sealed class CliTests(StorageFixture storage)
{
    private const string DevKey = "sk-dev-cli";
    private const string Grader = """{"type":"string_check","name":"gene","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("bogus", "unknown command 'bogus'")]
    [InlineData("files", "missing verb")]
    [InlineData("files frobnicate", "unknown verb 'frobnicate'")]
    [InlineData("files list --bogus 1", "unknown option '--bogus'")]
    [InlineData("files upload", "missing PATH")]
    [InlineData("files list --limit", "option '--limit' needs a value")]
    [InlineData("jobs create --model m", "missing required option '--training-file'")]
    [InlineData("jobs create --model m --training-file a --validation-file b --grader g.json --seed x", "--seed must be an integer")]
    [InlineData("jobs watch", "missing JOB_ID")]
    [InlineData("jobs watch ftjob-1 --interval 0", "--interval must be between")]
    [InlineData("jobs get a b", "expected one JOB_ID")]
    [InlineData("jobs pause", "missing JOB_ID")]
    [InlineData("jobs cancel a b", "expected one JOB_ID")]
    [InlineData("jobs events", "missing JOB_ID")]
    [InlineData("checkpoints", "missing verb")]
    [InlineData("graders run g.json", "missing required option '--sample'")]
    [InlineData("chat --model m", "missing MESSAGE")]
    [InlineData("worker --pools gpu", "--pools is gone")]
    [InlineData("worker --Rft:Roles=api", "do not pass --Rft:Roles")]
    [InlineData("files list --url ftp://host", "--url must be an absolute http(s) URL")]
    public async Task Usage_errors_exit_2_with_a_message_and_the_commands_usage(string commandLine, string message)
    {
        var result = await RftCli.RunAsync(new Dictionary<string, string>(), commandLine.Split(' '));
        Assert.True(result.Code == 2, result.ToString());
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("usage: rft", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Theory]
    [InlineData("--help", "commands:")]
    [InlineData("help jobs", "rft jobs watch JOB_ID")]
    [InlineData("files --help", "rft files upload PATH")]
    [InlineData("jobs create --help", "--validation-file FILE_ID")]
    [InlineData("worker --help", "every orchestrator and activity")]
    [InlineData("serve --help", "'rft host' is the same command")]
    [InlineData("host --help", "usage: rft serve")]
    [InlineData("chat -h", "--stream")]
    public async Task Help_exits_0_and_describes_the_command(string commandLine, string text)
    {
        var result = await RftCli.RunAsync(new Dictionary<string, string>(), commandLine.Split(' '));
        Assert.True(result.Code == 0, result.ToString());
        Assert.Contains(text, result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_host_is_a_failure_that_says_how_to_fix_it()
    {
        var result = await RftCli.RunAsync(new Dictionary<string, string> { ["RFT_URL"] = "http://127.0.0.1:1" }, "files", "list", "--key", "k");
        Assert.True(result.Code == 1, result.ToString());
        Assert.Contains("cannot reach the RftFunctions host at http://127.0.0.1:1/", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("rft serve", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_models_graders_chat_and_keys_work_against_a_running_host()
    {
        var work = Directory.CreateTempSubdirectory("rft-cli-work-").FullName;
        try
        {
            var settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = storage.ConnectionString,
                ["Rft__StoragePrefix"] = storage.UniqueName("c"),
                ["Rft__DevelopmentApiKey"] = DevKey,
                ["Rft__DevelopmentProject"] = "cli",
                ["Rft__Roles"] = "api",
            };
            await using var host = HostProcess.Start(settings);
            using (var probe = new HttpClient()) (await host.WaitForAsync(probe, "/healthz", TimeSpan.FromSeconds(90), _ct)).Dispose();
            // The URL as the OpenAI SDKs take it (with /v1), the key as they read it.
            var client = new Dictionary<string, string>(settings) { ["OPENAI_BASE_URL"] = new Uri(host.BaseAddress, "v1").ToString(), ["OPENAI_API_KEY"] = DevKey };

            // files upload / list / get / content
            var train = Path.Combine(work, "train.jsonl");
            await File.WriteAllTextAsync(train, ApiAssert.ValidDataset, _ct);
            var uploaded = await OkJsonAsync(client, "files", "upload", train);
            var fileId = uploaded.GetProperty("id").GetString()!;
            Assert.Equal("processed", uploaded.GetProperty("status").GetString());
            Assert.Equal("train.jsonl", uploaded.GetProperty("filename").GetString());
            var bad = Path.Combine(work, "bad.jsonl");
            await File.WriteAllTextAsync(bad, "{\"messages\":[]}\n", _ct);
            var refused = await OkJsonAsync(client, "files", "upload", bad);
            Assert.Equal("error", refused.GetProperty("status").GetString());
            Assert.Contains("line 1", refused.GetProperty("status_details").GetString(), StringComparison.Ordinal);
            var files = await OkJsonAsync(client, "files", "list", "--order", "asc");
            Assert.Equal([fileId, refused.GetProperty("id").GetString()], files.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
            Assert.Equal(fileId, (await OkJsonAsync(client, "files", "get", fileId)).GetProperty("id").GetString());
            var content = await RftCli.RunAsync(client, "files", "content", fileId);
            Assert.Equal(ApiAssert.ValidDataset, content.Stdout);
            var missing = await RftCli.RunAsync(client, "files", "get", "file-nope");
            Assert.True(missing.Code == 1, missing.ToString());
            Assert.Contains("404", missing.Stderr, StringComparison.Ordinal);
            Assert.Contains("code file_not_found", missing.Stderr, StringComparison.Ordinal);
            var missingPath = await RftCli.RunAsync(client, "files", "upload", Path.Combine(work, "nope.jsonl"));
            Assert.True(missingPath.Code == 1 && missingPath.Stderr.Contains("no such file", StringComparison.Ordinal), missingPath.ToString());

            // graders validate / run
            var grader = Path.Combine(work, "grader.json");
            await File.WriteAllTextAsync(grader, Grader, _ct);
            Assert.Equal("gene", (await OkJsonAsync(client, "graders", "validate", grader)).GetProperty("grader").GetProperty("name").GetString());
            var run = await OkJsonAsync(client, "graders", "run", grader, "--sample", "BRCA1", "--item", """{"answer":"BRCA1"}""");
            Assert.Equal(1.0, run.GetProperty("reward").GetDouble());
            var wrongGrader = Path.Combine(work, "wrong.json");
            await File.WriteAllTextAsync(wrongGrader, """{"type":"string_check","name":"g","input":"x","reference":"y","operation":"contains"}""", _ct);
            var invalid = await RftCli.RunAsync(client, "graders", "validate", wrongGrader);
            Assert.True(invalid.Code == 1, invalid.ToString());
            Assert.Contains("400", invalid.Stderr, StringComparison.Ordinal);
            Assert.Contains("param grader.operation", invalid.Stderr, StringComparison.Ordinal);
            var broken = Path.Combine(work, "broken.json");
            await File.WriteAllTextAsync(broken, "{\n  \"type\": \"string_check\",\n  \"name\": \n}", _ct);
            var unparsable = await RftCli.RunAsync(client, "graders", "validate", broken);
            Assert.True(unparsable.Code == 1, unparsable.ToString());
            Assert.Contains($"--grader {broken}: invalid JSON at line 4", unparsable.Stderr, StringComparison.Ordinal);

            // models: register into storage (operator), then list / get / chat through the API
            var folder = Path.Combine(work, "tiny");
            TinyModelFactory.CreateFolder(folder, ModelArchitecture.Qwen3, seed: 3);
            var registered = await RftCli.RunAsync(client, "models", "register", "--project", "cli", "--name", "tiny", "--path", folder);
            Assert.True(registered.Code == 0, registered.ToString());
            var models = await OkJsonAsync(client, "models", "list");
            Assert.Equal(["tiny"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
            Assert.Equal("cli", (await OkJsonAsync(client, "models", "get", "tiny")).GetProperty("owned_by").GetString());
            var completion = await OkJsonAsync(client, "chat", "--model", "tiny", "--seed", "4", "--max-tokens", "6", "Which", "gene?");
            Assert.Equal("chat.completion", completion.GetProperty("object").GetString());
            var text = completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            var streamed = await RftCli.RunAsync(client, "chat", "--model", "tiny", "--seed", "4", "--max-tokens", "6", "--stream", "Which gene?");
            Assert.True(streamed.Code == 0, streamed.ToString());
            Assert.Equal(text + "\n", streamed.Stdout);
            var notDeletable = await RftCli.RunAsync(client, "models", "delete", "tiny");
            Assert.True(notDeletable.Code == 1 && notDeletable.Stderr.Contains("model_not_deletable", StringComparison.Ordinal), notDeletable.ToString());

            // keys: a new project's key sees none of the development project's data, until it is revoked
            var created = await RftCli.RunAsync(settings, "keys", "create", "--project", "other");
            Assert.True(created.Code == 0, created.ToString());
            using var key = JsonDocument.Parse(created.Stdout);
            var otherKey = key.RootElement.GetProperty("key").GetString()!;
            var otherFiles = await OkJsonAsync(client, "files", "list", "--key", otherKey);
            Assert.Empty(otherFiles.GetProperty("data").EnumerateArray());
            var hidden = await RftCli.RunAsync(client, "files", "get", fileId, "--key", otherKey);
            Assert.True(hidden.Code == 1 && hidden.Stderr.Contains("404", StringComparison.Ordinal), hidden.ToString());
            var keys = await RftCli.RunAsync(settings, "keys", "list", "--project", "other");
            Assert.Contains(key.RootElement.GetProperty("id").GetString()!, keys.Stdout, StringComparison.Ordinal);
            Assert.Equal(0, (await RftCli.RunAsync(settings, "keys", "revoke", key.RootElement.GetProperty("id").GetString()!)).Code);
            var revoked = await RftCli.RunAsync(client, "models", "list", "--key", otherKey);
            Assert.True(revoked.Code == 1 && revoked.Stderr.Contains("401", StringComparison.Ordinal), revoked.ToString());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task Jobs_create_list_get_events_checkpoints_and_cancel_work_against_a_running_host()
    {
        var work = Directory.CreateTempSubdirectory("rft-cli-jobs-").FullName;
        try
        {
            var prefix = storage.UniqueName("cj").Replace("-", "", StringComparison.Ordinal);
            var settings = new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = storage.ConnectionString,
                ["Rft__StoragePrefix"] = prefix,
                ["Rft__DevelopmentApiKey"] = DevKey,
                ["Rft__DevelopmentProject"] = "cli",
                ["Rft__Roles"] = "all",
                ["Rft__ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-cli-jobs-cache", prefix),
                ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = prefix + "hub",
            };
            await using var host = HostProcess.Start(settings);
            using (var probe = new HttpClient()) (await host.WaitForAsync(probe, "/healthz", TimeSpan.FromSeconds(90), _ct)).Dispose();
            var client = new Dictionary<string, string>(settings) { ["OPENAI_BASE_URL"] = new Uri(host.BaseAddress, "v1").ToString(), ["OPENAI_API_KEY"] = DevKey };

            Assert.Equal(0, (await RftCli.RunAsync(client, "models", "register", "--project", "cli", "--name", "tiny", "--path", JobFixtures.ModelFolder)).Code);
            var train = Path.Combine(work, "train.jsonl");
            var valid = Path.Combine(work, "valid.jsonl");
            var grader = Path.Combine(work, "grader.json");
            await File.WriteAllTextAsync(train, JobFixtures.Dataset(4), _ct);
            await File.WriteAllTextAsync(valid, JobFixtures.Dataset(2, offset: 4), _ct);
            await File.WriteAllTextAsync(grader, JobFixtures.Grader, _ct);
            var trainId = (await OkJsonAsync(client, "files", "upload", train)).GetProperty("id").GetString()!;
            var validId = (await OkJsonAsync(client, "files", "upload", valid)).GetProperty("id").GetString()!;

            // Many epochs: the job is still live for the read commands, and the test cancels it rather than waiting.
            var created = await OkJsonAsync(client, "jobs", "create", "--model", "tiny", "--training-file", trainId, "--validation-file", validId,
                "--grader", grader, "--seed", "7", "--suffix", "cli", "--metadata", "team=genes",
                "--hyperparameters", """{"n_epochs":10,"batch_size":2,"compute_multiplier":0.25,"eval_interval":1,"eval_samples":1,"reasoning_effort":"low"}""");
            var jobId = created.GetProperty("id").GetString()!;
            Assert.Equal("fine_tuning.job", created.GetProperty("object").GetString());
            Assert.Equal("reinforcement", created.GetProperty("method").GetProperty("type").GetString());
            Assert.Equal(10, created.GetProperty("method").GetProperty("reinforcement").GetProperty("hyperparameters").GetProperty("n_epochs").GetInt32());

            var listed = await OkJsonAsync(client, "jobs", "list", "--metadata", "team=genes");
            Assert.Equal([jobId], listed.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
            Assert.Empty((await OkJsonAsync(client, "jobs", "list", "--metadata", "team=other")).GetProperty("data").EnumerateArray());
            var got = await OkJsonAsync(client, "jobs", "get", jobId);
            Assert.Equal(trainId, got.GetProperty("training_file").GetString());
            Assert.Equal("genes", got.GetProperty("metadata").GetProperty("team").GetString());
            var events = await OkJsonAsync(client, "jobs", "events", jobId, "--limit", "5");
            Assert.Equal("list", events.GetProperty("object").GetString());
            Assert.NotEmpty(events.GetProperty("data").EnumerateArray());
            Assert.Equal("list", (await OkJsonAsync(client, "checkpoints", "list", jobId)).GetProperty("object").GetString());

            // Cancel, then watch follows it to its end: a cancelled job exits 1.
            Assert.Equal(jobId, (await OkJsonAsync(client, "jobs", "cancel", jobId)).GetProperty("id").GetString());
            var watched = await RftCli.RunAsync(client, "jobs", "watch", jobId, "--interval", "0.5");
            Assert.True(watched.Code == 1, watched.ToString());
            Assert.Equal("cancelled", (await OkJsonAsync(client, "jobs", "get", jobId)).GetProperty("status").GetString());
            // A control the status no longer allows is the API's 409, reported with its code.
            var again = await RftCli.RunAsync(client, "jobs", "pause", jobId);
            Assert.True(again.Code == 1 && again.Stderr.Contains("409", StringComparison.Ordinal), again.ToString());
            Assert.Contains("invalid_job_status", again.Stderr, StringComparison.Ordinal);
            var unknown = await RftCli.RunAsync(client, "jobs", "get", "ftjob-nope");
            Assert.True(unknown.Code == 1 && unknown.Stderr.Contains("404", StringComparison.Ordinal), unknown.ToString());
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task A_worker_serves_health_with_only_the_worker_role_and_no_API()
    {
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = storage.UniqueName("w"),
            ["Rft__DevelopmentApiKey"] = DevKey,
        };
        await using var worker = HostProcess.Start(settings, "worker");
        using var client = new HttpClient { BaseAddress = worker.BaseAddress };
        using var anonymous = await worker.WaitForAsync(client, "/healthz", TimeSpan.FromSeconds(90), _ct);
        Assert.Equal("""{"status":"healthy"}""", await anonymous.Content.ReadAsStringAsync(_ct));
        // The roles are a detail for operators: an admin key from `rft keys create --admin` shows them.
        var created = await RftCli.RunAsync(settings, "keys", "create", "--admin");
        Assert.True(created.Code == 0, created.ToString());
        using var adminKey = JsonDocument.Parse(created.Stdout);
        Assert.True(adminKey.RootElement.GetProperty("admin").GetBoolean());
        using var detailed = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        detailed.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey.RootElement.GetProperty("key").GetString());
        using var health = await client.SendAsync(detailed, _ct);
        using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync(_ct));
        Assert.Equal(["worker"], report.RootElement.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DevKey);
        using var api = await client.SendAsync(request, _ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, api.StatusCode);
        Assert.DoesNotContain("\"error\"", await api.Content.ReadAsStringAsync(_ct), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> OkJsonAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var result = await RftCli.RunAsync(environment, args);
        Assert.True(result.Code == 0, $"rft {string.Join(' ', args)}: {result}");
        using var document = JsonDocument.Parse(result.Stdout);
        return document.RootElement.Clone();
    }
}
