using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Functions.Triggers;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Triggers;

public sealed class EventGridWebhookTests(StorageFixture storage)
{
    private const string Key = "webhook-test-key";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_subscription_handshake_answers_the_validation_code_and_a_wrong_or_missing_key_is_401()
    {
        await using var server = await WebhookServer.StartAsync(storage);
        var handshake = """[{"id":"1","eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","subject":"","data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},"eventTime":"2026-11-22T20:00:00Z","dataVersion":"1"}]""";

        using var ok = await server.PostAsync(handshake, Key);
        using var wrong = await server.PostAsync(handshake, "not-the-key");
        using var missing = await server.PostAsync(handshake, null);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("512d38b6-c7b8-40c8-89fe-f46f9e9622b6", JsonDocument.Parse(await ok.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("validationResponse").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_key_every_delivery_is_refused()
    {
        await using var server = await WebhookServer.StartAsync(storage, key: null);
        using var response = await server.PostAsync("[]", "");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_datasets_blob_created_event_registers_the_file_once()
    {
        await using var server = await WebhookServer.StartAsync(storage);
        var datasets = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(server.Api.DatasetsContainer);
        await datasets.CreateIfNotExistsAsync(cancellationToken: Ct);
        var uploaded = await datasets.GetBlobClient("events/train.jsonl").UploadAsync(BinaryData.FromString(ApiAssert.ValidDataset), Ct);
        var created = BlobCreated(server.Api.DatasetsContainer, "events/train.jsonl");

        using var first = await server.PostAsync(created, Key);
        using var duplicate = await server.PostAsync(created, Key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
        // No scan runs in this server (its roles have no api), so only the event can have registered it.
        var files = server.Services.GetRequiredService<RftFunctions.Functions.Api.Files.FileStore>();
        var fileId = DatasetBlobTrigger.FileIdFor("events/train.jsonl", uploaded.Value.ETag);
        var receipt = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(DatasetBlobTrigger.ReceiptsContainer)
            .GetBlobClient(DatasetBlobTrigger.ReceiptName(server.Api.HostId, server.Api.DatasetsContainer, "events/train.jsonl", uploaded.Value.ETag));
        var metadata = (await receipt.GetPropertiesAsync(cancellationToken: Ct)).Value.Metadata;
        Assert.Equal("true", metadata["Completed"]);
        Assert.Equal(fileId, metadata["FileId"]);
        var file = await files.GetAsync("events", fileId, Ct);
        Assert.NotNull(file);
        Assert.Equal("processed", file.Status);
        Assert.Single(await files.ListAsync("events", Ct));
    }

    [Fact]
    public async Task A_checkpoint_manifest_event_starts_one_evaluation_and_other_blobs_start_none()
    {
        await using var server = await WebhookServer.StartAsync(storage);
        var jobs = server.Services.GetRequiredService<JobStorageOptions>().Container;
        var manifest = BlobCreated(jobs, "ftjob-hook/checkpoints/2/manifest.json");

        using var first = await server.PostAsync(manifest, Key);
        var started = await server.Client.GetInstanceAsync(CheckpointEvaluation.InstanceId("ftjob-hook", 2), getInputsAndOutputs: true, Ct);
        using var duplicate = await server.PostAsync(manifest, Key);
        using var state = await server.PostAsync(BlobCreated(jobs, "ftjob-hook/steps/1/state/manifest.json"), Key);
        using var elsewhere = await server.PostAsync(BlobCreated("other", "ftjob-hook/checkpoints/3/manifest.json"), Key);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(started);
        Assert.Equal(CheckpointEvaluation.Orchestration, started.Name);
        Assert.Equal(new CheckpointEvaluationInput("ftjob-hook", 2, "ftjob-hook/checkpoints/2"), started.ReadInputAs<CheckpointEvaluationInput>());
        Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
        Assert.Equal(started.CreatedAt, (await server.Client.GetInstanceAsync(started.InstanceId, cancellation: Ct))!.CreatedAt);
        Assert.Equal(0, JsonDocument.Parse(await state.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("handled").GetInt32());
        Assert.Equal(0, JsonDocument.Parse(await elsewhere.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("handled").GetInt32());
        Assert.Null(await server.Client.GetInstanceAsync(CheckpointEvaluation.InstanceId("ftjob-hook", 3), cancellation: Ct));
        Assert.Null(await server.Client.GetInstanceAsync(CheckpointEvaluation.InstanceId("ftjob-hook", 1), cancellation: Ct));
    }

    private static string BlobCreated(string container, string blob) => JsonSerializer.Serialize(new[]
    {
        new
        {
            id = Guid.NewGuid().ToString(),
            topic = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct",
            subject = $"/blobServices/default/containers/{container}/blobs/{blob}",
            eventType = "Microsoft.Storage.BlobCreated",
            eventTime = "2026-11-22T20:00:00Z",
            data = new { api = "PutBlob", contentType = "application/json", blobType = "BlockBlob", url = $"https://acct.blob.core.windows.net/{container}/{blob}" },
            dataVersion = "",
            metadataVersion = "1",
        },
    });

    /// <summary>The API's services, a durable client (no worker) and the webhook on a loopback port.</summary>
    private sealed class WebhookServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _http;

        private WebhookServer(WebApplication app)
        {
            _app = app;
            _http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        }

        public IServiceProvider Services => _app.Services;

        public ApiOptions Api => Services.GetRequiredService<ApiOptions>();

        public DurableTaskClient Client => Services.GetRequiredService<DurableTaskClient>();

        public static async Task<WebhookServer> StartAsync(StorageFixture storage, string? key = Key)
        {
            var prefix = storage.UniqueName("h");
            var builder = WebApplication.CreateBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Rft:StoragePrefix"] = prefix,
                ["Rft:HostId"] = prefix,
                ["Rft:Roles"] = "orchestrations", // no dataset scan: only events register files
                [EventGridWebhook.KeySetting] = key,
            });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton(storage.Account);
            builder.Services.AddOpenAiApi(builder.Configuration);
            builder.Services.AddTaskHub(storage.Account, new TaskHubOptions { HubName = storage.UniqueName("hub") }, runWorker: false);
            builder.Services.AddRftTraining(new JobStorageOptions { Container = prefix + "jobs" });
            var app = builder.Build();
            app.MapEventGridWebhook();
            await app.StartAsync(Ct);
            return new WebhookServer(app);
        }

        public Task<HttpResponseMessage> PostAsync(string json, string? key)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, EventGridWebhook.Path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            request.Headers.Add("aeg-event-type", "Notification");
            if (key is not null) request.Headers.Add(EventGridWebhook.KeyHeader, key);
            return _http.SendAsync(request, Ct);
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
