using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// The API with the jobs endpoints and a durable worker in process (a real Kestrel on a free port, the production
/// registrations, a private storage prefix and task hub on the test Azurite), plus the helpers job tests share.
/// </summary>
internal sealed class JobsApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private JobsApiServer(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First() + "/");
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<JobsApiServer> StartAsync(StorageFixture storage, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var prefix = storage.UniqueName("j").Replace("-", "", StringComparison.Ordinal);
        var builder = WebApplication.CreateBuilder();
        var values = new Dictionary<string, string?>
        {
            ["Rft:StoragePrefix"] = prefix,
            ["Rft:HostId"] = prefix,
            ["Rft:Roles"] = "all",
            ["Rft:ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-api-tests", prefix),
            // The tiny model is registered by its path under the temp directory.
            ["Rft:ModelImportRoot"] = Path.GetTempPath(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        builder.Configuration.AddInMemoryCollection(values);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (Environment.GetEnvironmentVariable("RFT_TEST_API_LOGS") is null) builder.Logging.ClearProviders();
        builder.Services.AddSingleton(storage.Account);
        builder.Services.AddTaskHub(storage.Account, new TaskHubOptions
        {
            HubName = prefix + "hub",
            StorageProvider = new TaskHubStorageOptions { MaxQueuePollingInterval = TimeSpan.FromMilliseconds(300) },
        }, runWorker: true);
        builder.Services.AddOpenAiApi(builder.Configuration);
        builder.Services.AddFineTuningJobsApi(builder.Configuration);
        builder.Services.AddRftTraining();
        var app = builder.Build();
        app.MapOpenAiApi();
        await app.StartAsync(Ct);
        return new JobsApiServer(app);
    }

    /// <summary>A client of a new project (key created through the store, as the CLI does).</summary>
    public async Task<HttpClient> ClientAsync(string project)
    {
        var (_, secret) = await _app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(project, Ct);
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A tiny seeded model, datasets and a grader that make a job finish in a few seconds.</summary>
internal static class JobFixtures
{
    private static readonly Lazy<string> TinyFolder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-jobsapi-tiny-" + Environment.ProcessId);
        if (!File.Exists(Path.Combine(dir, "config.json")))
            TinyModelFactory.CreateFolder(dir, ModelArchitecture.Qwen3, seed: 11, new TinyModelSize(HiddenSize: 32, IntermediateSize: 64, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 8, VocabSize: ByteTokenizer.VocabSize));
        return dir;
    });

    /// <summary>The tiny model's folder (hidden 32, 2 layers, byte vocabulary).</summary>
    public static string ModelFolder => TinyFolder.Value;

    /// <summary>A multi grader: a string_check and a fuzzy text_similarity, summed.</summary>
    public const string Grader = """
        {"type":"multi","name":"score","calculate_output":"hit + sim",
         "graders":{
           "hit":{"type":"string_check","name":"hit","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"like"},
           "sim":{"type":"text_similarity","name":"sim","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","evaluation_metric":"fuzzy_match"}}}
        """;

    /// <summary><paramref name="count"/> JSONL lines asking for a letter.</summary>
    public static string Dataset(int count, int offset = 0) => string.Join("\n", Enumerable.Range(offset, count).Select(i => JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "user", content = $"Say the letter {(char)('a' + i % 26)}" } },
        answer = ((char)('a' + i % 26)).ToString(),
    })));

    /// <summary>A create body: small, fast hyperparameters (G = 2, low reasoning effort = 128 completion tokens).</summary>
    public static string CreateBody(string model, string training, string validation, int epochs = 1, string? metadata = null, string suffix = "e2e") =>
        "{\"model\":\"" + model + "\",\"training_file\":\"" + training + "\",\"validation_file\":\"" + validation + "\",\"suffix\":\"" + suffix
        + "\",\"seed\":7,\"metadata\":" + (metadata ?? "null") + ",\"method\":{\"type\":\"reinforcement\",\"reinforcement\":{\"grader\":" + Grader
        + ",\"hyperparameters\":{\"n_epochs\":" + epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)
        + ",\"batch_size\":2,\"compute_multiplier\":0.25,\"eval_interval\":1,\"eval_samples\":1,\"reasoning_effort\":\"low\"}}}}";

    /// <summary>Uploads a file; returns its id.</summary>
    public static async Task<string> UploadAsync(HttpClient client, string content, string name = "train.jsonl")
    {
        var file = await ApiAssert.OkAsync(await client.Post("v1/files", ApiAssert.Upload(content, name)));
        Assert.Equal("processed", file.GetProperty("status").GetString());
        return file.GetProperty("id").GetString()!;
    }

    /// <summary>Registers the tiny model as <paramref name="id"/> from its server-local folder.</summary>
    public static async Task RegisterTinyAsync(HttpClient client, string id) =>
        await ApiAssert.OkAsync(await client.PostJson("v1/models", JsonSerializer.Serialize(new { id, path = ModelFolder })));

    /// <summary>Polls the job until <paramref name="done"/> holds (bounded, so a hung job fails the test).</summary>
    public static async Task<JsonElement> WaitForAsync(HttpClient client, string jobId, Func<JsonElement, bool> done, int seconds = 240)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var job = await ApiAssert.OkAsync(await client.Get($"v1/fine_tuning/jobs/{jobId}"));
            if (done(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {jobId} never reached the condition: {job}");
            await Task.Delay(250, TestContext.Current.CancellationToken);
        }
    }

    public static bool Terminal(JsonElement job) => job.GetProperty("status").GetString() is "succeeded" or "failed" or "cancelled";
}
