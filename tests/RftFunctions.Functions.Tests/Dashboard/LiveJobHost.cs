using System.Net.Http.Headers;
using System.Text.Json;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Functions.Tests.Orchestrations;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Dashboard;

/// <summary>
/// The real <c>rft</c> host (all roles: API and the durable worker) on the test Azurite with a private hub
/// and storage prefix, and a user's way in: a tiny seeded model registered, two datasets uploaded and a reinforcement
/// job created, all through the public <c>/v1</c> API with the local development key.
/// </summary>
internal sealed class LiveJobHost : IAsyncDisposable
{
    public const string Key = "sk-dev-dashboard";
    private readonly HostProcess _host;
    private readonly string _scratch;

    private LiveJobHost(HostProcess host, HttpClient api, string scratch, IReadOnlyDictionary<string, string> settings)
    {
        _host = host;
        Api = api;
        _scratch = scratch;
        Settings = settings;
    }

    /// <summary>The host's settings (storage, prefix, hub): what another process needs to join the same platform.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    public Uri BaseAddress => _host.BaseAddress;

    /// <summary>A client of the host's API with the development key.</summary>
    public HttpClient Api { get; }

    /// <summary>What the host wrote (for failure messages).</summary>
    public string Output => _host.Output;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <param name="storage">The test Azurite.</param>
    /// <param name="roles">The host's roles (<c>api</c> for a platform whose workers are other processes).</param>
    /// <param name="extra">Settings added to (or replacing) the defaults.</param>
    public static async Task<LiveJobHost> StartAsync(StorageFixture storage, string roles = "all", IReadOnlyDictionary<string, string>? extra = null)
    {
        var prefix = storage.UniqueName("dash");
        var scratch = Directory.CreateTempSubdirectory("rft-dashboard-").FullName;
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = prefix,
            ["Rft__DevelopmentApiKey"] = Key,
            ["Rft__Roles"] = roles,
            // Checkpoint evaluations add events and prune checkpoints after the job succeeded; the page test needs the
            // job's records final when it is (CheckpointEvaluationTests cover the evaluations).
            ["Rft__CheckpointScanSeconds"] = "0",
            ["Rft__ModelCacheDirectory"] = Path.Combine(scratch, "model-cache"),
            // The tiny model is registered by its path in the scratch folder.
            ["Rft__ModelImportRoot"] = scratch,
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "dash" + prefix.Replace("-", "", StringComparison.Ordinal),
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "00:00:00.500",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) settings[key] = value;
        var host = HostProcess.Start(settings);
        var api = new HttpClient { BaseAddress = host.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var live = new LiveJobHost(host, api, scratch, settings);
        try
        {
            using var health = await host.WaitForAsync(api, "/healthz", TimeSpan.FromSeconds(120), Ct);
            Assert.True(health.IsSuccessStatusCode, $"host unhealthy: {(int)health.StatusCode}\n{host.Output}");
            return live;
        }
        catch
        {
            await live.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Registers a tiny seeded Qwen3 (hidden 32, 2 layers, byte vocabulary), uploads <paramref name="trainLines"/>
    /// training and 2 validation lines and creates a reinforcement job with the multi grader of the orchestration tests;
    /// batch 2 makes one step per 2 lines. Returns the job id.
    /// </summary>
    public async Task<string> CreateJobAsync(int trainLines, int evalInterval)
    {
        var modelDir = Path.Combine(_scratch, "tiny");
        TinyModelFactory.CreateFolder(modelDir, ModelArchitecture.Qwen3, seed: 11, new TinyModelSize(HiddenSize: 32, IntermediateSize: 64, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 8, VocabSize: ByteTokenizer.VocabSize));
        await ApiAssert.OkAsync(await Api.PostJson("/v1/models", JsonSerializer.Serialize(new { id = "tiny-dash", path = modelDir })));

        static string Lines(int from, int count) => string.Join("\n", Enumerable.Range(from, count).Select(i => JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = $"Say something {i}" } },
            reference = "\uFFFD\uFFFD\uFFFD\uFFFD",
        })));
        var train = await ApiAssert.OkAsync(await Api.Post("/v1/files", ApiAssert.Upload(Lines(0, trainLines), "train.jsonl")));
        var valid = await ApiAssert.OkAsync(await Api.Post("/v1/files", ApiAssert.Upload(Lines(100, 2), "valid.jsonl")));

        var request = new
        {
            model = "tiny-dash",
            training_file = train.GetProperty("id").GetString(),
            validation_file = valid.GetProperty("id").GetString(),
            suffix = "dash",
            seed = 5,
            method = new
            {
                type = "reinforcement",
                reinforcement = new
                {
                    grader = JsonDocument.Parse(TrainingTestHost.Grader).RootElement,
                    hyperparameters = new { n_epochs = 1, batch_size = 2, eval_interval = evalInterval, eval_samples = 1, compute_multiplier = 0.25, reasoning_effort = "low" },
                },
            },
        };
        var job = await ApiAssert.OkAsync(await Api.PostJson("/v1/fine_tuning/jobs", JsonSerializer.Serialize(request)));
        return job.GetProperty("id").GetString()!;
    }

    /// <summary>The job as the API returns it.</summary>
    public async Task<JsonElement> JobAsync(string jobId) => await ApiAssert.OkAsync(await Api.Get($"/v1/fine_tuning/jobs/{jobId}"));

    /// <summary>Polls the job until <paramref name="condition"/> holds (bounded; fails with the host's output).</summary>
    public async Task<JsonElement> WaitForJobAsync(string jobId, Func<JsonElement, bool> condition, string what, int seconds = 240)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var job = await JobAsync(jobId);
            if (condition(job)) return job;
            var status = job.GetProperty("status").GetString();
            if (DateTime.UtcNow > deadline || status is "failed" or "cancelled")
                throw new TimeoutException($"job {jobId} never reached {what}: {job}\n{Output}");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Every event of the job, newest first (one page: the job is small).</summary>
    public async Task<List<JsonElement>> EventsAsync(string jobId)
    {
        var page = await ApiAssert.OkAsync(await Api.Get($"/v1/fine_tuning/jobs/{jobId}/events?limit=1000"));
        Assert.False(page.GetProperty("has_more").GetBoolean());
        return [.. page.GetProperty("data").EnumerateArray()];
    }

    /// <summary>The job's checkpoints.</summary>
    public async Task<List<JsonElement>> CheckpointsAsync(string jobId)
    {
        var page = await ApiAssert.OkAsync(await Api.Get($"/v1/fine_tuning/jobs/{jobId}/checkpoints?limit=100"));
        return [.. page.GetProperty("data").EnumerateArray()];
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _host.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }
}
