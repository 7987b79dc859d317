using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// The host's whole route table in process: the services <see cref="RftHost"/> registers (durable client without a
/// worker, so nothing a test schedules ever runs) and <see cref="RftEndpoints.Map"/>, the one place production maps
/// routes, on a real Kestrel with a private storage prefix and task hub.
/// </summary>
internal sealed class HostRoutesServer : IAsyncDisposable
{
    public const string EventGridKey = "test-event-grid-key";
    private readonly WebApplication _app;

    private HostRoutesServer(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.First() + "/");
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Every endpoint the app mapped.</summary>
    public IEnumerable<Endpoint> Endpoints => ((IEndpointRouteBuilder)_app).DataSources.SelectMany(d => d.Endpoints);

    public DurableTaskClient Durable => _app.Services.GetRequiredService<DurableTaskClient>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<HostRoutesServer> StartAsync(StorageFixture storage)
    {
        var prefix = storage.UniqueName("r").Replace("-", "", StringComparison.Ordinal);
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Rft:StoragePrefix"] = prefix,
            ["Rft:HostId"] = prefix,
            ["Rft:Roles"] = "all",
            ["Rft:ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-api-tests", prefix),
            [RftFunctions.Functions.Triggers.EventGridWebhook.KeySetting] = EventGridKey,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (Environment.GetEnvironmentVariable("RFT_TEST_API_LOGS") is null) builder.Logging.ClearProviders();
        var options = new RftHostOptions { Roles = "all" };
        builder.Services.AddSingleton(storage.Account);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddTaskHub(storage.Account, new TaskHubOptions { HubName = prefix + "hub" }, runWorker: false);
        builder.Services.AddOpenAiApi(builder.Configuration);
        builder.Services.AddFineTuningJobsApi(builder.Configuration);
        builder.Services.AddRftTraining();
        var app = builder.Build();
        RftEndpoints.Map(app, options);
        await app.StartAsync(Ct);
        return new HostRoutesServer(app);
    }

    /// <summary>A new project's key, made as <c>rft keys create --project</c> makes it.</summary>
    public async Task<string> ProjectKeyAsync(string project) =>
        (await _app.Services.GetRequiredService<ApiKeyStore>().CreateAsync(project, Ct)).Secret;

    /// <summary>A new operator key, made as <c>rft keys create --admin</c> makes it.</summary>
    public async Task<string> AdminKeyAsync() =>
        (await _app.Services.GetRequiredService<ApiKeyStore>().CreateAdminAsync(Ct)).Secret;

    /// <summary>A client sending <paramref name="key"/> as the Bearer token (none when null).</summary>
    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
