using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// The API in process: a real Kestrel on a free loopback port with the production registration
/// (<see cref="OpenAiApi.AddOpenAiApi"/>) against the test Azurite, under a private storage prefix.
/// </summary>
internal sealed class ApiServer : IAsyncDisposable
{
    public const string DevelopmentKey = "sk-dev-test-key";
    private readonly WebApplication _app;

    private ApiServer(WebApplication app, string prefix)
    {
        _app = app;
        Prefix = prefix;
        BaseAddress = new Uri(app.Urls.First() + "/");
    }

    public Uri BaseAddress { get; }

    public string Prefix { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ApiServer> StartAsync(StorageFixture storage, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var prefix = storage.UniqueName("a");
        var builder = WebApplication.CreateBuilder();
        var values = new Dictionary<string, string?>
        {
            ["Rft:StoragePrefix"] = prefix,
            ["Rft:HostId"] = prefix,
            ["Rft:DevelopmentApiKey"] = DevelopmentKey,
            ["Rft:DevelopmentProject"] = "dev",
            ["Rft:Roles"] = "api",
            ["Rft:BlobTriggerPollMilliseconds"] = "200",
            ["Rft:ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-api-tests", prefix),
            // Tests register the tiny models they build under the temp directory by path, as an operator would allow.
            ["Rft:ModelImportRoot"] = Path.GetTempPath(),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) values[key] = value;
        builder.Configuration.AddInMemoryCollection(values);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (Environment.GetEnvironmentVariable("RFT_TEST_API_LOGS") is null) builder.Logging.ClearProviders();
        builder.Services.AddSingleton(storage.Account);
        builder.Services.AddOpenAiApi(builder.Configuration);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapOpenAiApi();
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new ApiServer(app, prefix);
    }

    /// <summary>A client sending <paramref name="key"/> as the Bearer token (none when null).</summary>
    public HttpClient Client(string? key = DevelopmentKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A key of a new project, created through the store (as the CLI does).</summary>
    public async Task<string> CreateKeyAsync(string project)
    {
        var (_, secret) = await _app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(project, TestContext.Current.CancellationToken);
        return secret;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Helpers for reading API answers.</summary>
internal static class ApiAssert
{
    /// <summary>Asserts the status and OpenAI's error envelope; returns the error object.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status, string? param = null)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        var error = document.RootElement.GetProperty("error").Clone();
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), body);
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        return error;
    }

    /// <summary>Asserts 200 and returns the JSON body.</summary>
    public static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        using var document = JsonDocument.Parse(body);
        return document.RootElement.Clone();
    }

    /// <summary>A multipart upload body.</summary>
    public static MultipartFormDataContent Upload(string content, string filename = "train.jsonl", string? purpose = "fine-tune")
    {
        var form = new MultipartFormDataContent();
        if (purpose is not null) form.Add(new StringContent(purpose), "purpose");
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(content)), "file", filename);
        return form;
    }

    /// <summary>Two valid RFT lines.</summary>
    public const string ValidDataset = """
        {"messages":[{"role":"user","content":"Which gene?"}],"reference_answer":"BRCA1"}
        {"messages":[{"role":"developer","content":"Be brief."},{"role":"user","content":"Another?"}],"reference_answer":"TP53"}
        """;
}

/// <summary>HTTP calls bound to the test's cancellation token.</summary>
internal static class TestHttp
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Task<HttpResponseMessage> Get(this HttpClient client, string url) => client.GetAsync(url, Ct);

    public static Task<string> GetText(this HttpClient client, string url) => client.GetStringAsync(url, Ct);

    public static Task<HttpResponseMessage> Post(this HttpClient client, string url, HttpContent content) => client.PostAsync(url, content, Ct);

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, string json) =>
        client.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    public static Task<HttpResponseMessage> Delete(this HttpClient client, string url) => client.DeleteAsync(url, Ct);
}
