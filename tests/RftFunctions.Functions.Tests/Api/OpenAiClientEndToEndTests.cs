#pragma warning disable OPENAI001 // fine-tuning, graders and Seed are marked experimental in the OpenAI client
using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Files;
using OpenAI.FineTuning;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// The whole product through the official OpenAI .NET client against the real <c>rft</c> host process (roles all,
/// Azurite): upload files, register a tiny seeded base model from a blob prefix, create a reinforcement job with a
/// multi grader (protocol method: the typed API has no reinforcement fields), poll it to success, read its events and
/// checkpoints, validate and run a grader, and chat with the fine-tuned model with and without streaming.
/// </summary>
public sealed class OpenAiClientEndToEndTests(StorageFixture storage)
{
    private const string Key = "sk-e2e-dev";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_reinforcement_job_driven_by_the_OpenAI_client_trains_a_model_that_then_chats()
    {
        var prefix = storage.UniqueName("e").Replace("-", "", StringComparison.Ordinal);
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = prefix,
            ["Rft__DevelopmentApiKey"] = Key,
            ["Rft__DevelopmentProject"] = "e2e",
            ["Rft__Roles"] = "all",
            // Checkpoint evaluations add events after the job succeeded; this test reads the job's own final event
            // log (CheckpointEvaluationTests cover the evaluations).
            ["Rft__CheckpointScanSeconds"] = "0",
            ["Rft__ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-e2e-cache", prefix),
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = prefix + "hub",
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using (var ready = await host.WaitForAsync(http, "/v1/models", TimeSpan.FromSeconds(120), _ct))
            await ApiAssert.OkAsync(ready);

        // A Hugging Face folder copied into the project's own folder of the models container is registered by prefix (our addition).
        var models = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(prefix.ToLowerInvariant() + "models");
        await models.CreateIfNotExistsAsync(cancellationToken: _ct);
        foreach (var file in Directory.EnumerateFiles(JobFixtures.ModelFolder))
            await models.GetBlobClient("e2e/tiny/" + Path.GetFileName(file)).UploadAsync(file, overwrite: true, _ct);
        await ApiAssert.OkAsync(await http.PostJson("v1/models", JsonSerializer.Serialize(new { id = "tiny-blob", blob = $"{models.Name}/e2e/tiny" })));

        var client = new OpenAIClient(new ApiKeyCredential(Key), new OpenAIClientOptions { Endpoint = new Uri(host.BaseAddress, "v1") });
        var files = client.GetOpenAIFileClient();
        OpenAIFile training = await files.UploadFileAsync(BinaryData.FromString(JobFixtures.Dataset(4)), "train.jsonl", FileUploadPurpose.FineTune);
        OpenAIFile validation = await files.UploadFileAsync(BinaryData.FromString(JobFixtures.Dataset(2, offset: 10)), "valid.jsonl", FileUploadPurpose.FineTune);
        Assert.StartsWith("file-", training.Id, StringComparison.Ordinal);

        var fineTuning = client.GetFineTuningClient();
        var body = JobFixtures.CreateBody("tiny-blob", training.Id, validation.Id, metadata: """{"run":"e2e"}""");
        FineTuningJob job = await fineTuning.FineTuneAsync(BinaryContent.Create(BinaryData.FromString(body)), waitUntilCompleted: false, options: null);
        Assert.StartsWith("ftjob-", job.JobId, StringComparison.Ordinal);
        Assert.Equal("tiny-blob", job.BaseModel);
        Assert.Equal(training.Id, job.TrainingFileId);
        Assert.Equal(validation.Id, job.ValidationFileId);
        Assert.Equal(7, job.Seed);
        Assert.Equal("e2e", job.Metadata["run"]);

        var deadline = DateTime.UtcNow.AddMinutes(4);
        while (!job.HasCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"job still {job.Status} after 4 minutes:\n{host.Output}");
            await Task.Delay(500, _ct);
            await job.UpdateStatusAsync(_ct);
        }
        Assert.True(job.Status == FineTuningStatus.Succeeded, $"{job.Status}\n{host.Output}");
        var model = (await ApiAssert.OkAsync(await http.Get($"v1/fine_tuning/jobs/{job.JobId}"))).GetProperty("fine_tuned_model").GetString()!;
        Assert.Equal($"ft:tiny-blob:e2e:{job.JobId}", model);

        // Events through the client's pager (pages of 2 via after), newest first, the same as one big page.
        var events = new List<FineTuningEvent>();
        await foreach (var e in job.GetEventsAsync(new GetEventsOptions { PageSize = 2 }, _ct)) events.Add(e);
        var whole = await ApiAssert.OkAsync(await http.Get($"v1/fine_tuning/jobs/{job.JobId}/events?limit=1000"));
        Assert.Equal(whole.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()), events.Select(e => e.Id));
        Assert.Contains("successfully completed", events[0].Message, StringComparison.Ordinal);
        Assert.Equal(2, events.Count(e => e.Data is not null && e.Data.ToString().Contains("train_reward_mean", StringComparison.Ordinal)));

        var checkpoints = new List<FineTuningCheckpoint>();
        await foreach (var c in job.GetCheckpointsAsync(new GetCheckpointsOptions(), _ct)) checkpoints.Add(c);
        Assert.Equal([2, 1], checkpoints.Select(c => c.StepNumber));
        Assert.All(checkpoints, c => Assert.Equal($"{model}:ckpt-step-{c.StepNumber}", c.ModelId));
        Assert.All(checkpoints, c => Assert.Equal(job.JobId, c.JobId));

        // Graders: validate and run the job's grader.
        var graders = client.GetGraderClient();
        var validated = await graders.ValidateGraderAsync(BinaryContent.Create(BinaryData.FromString("{\"grader\":" + JobFixtures.Grader + "}")), null);
        using (var v = JsonDocument.Parse(validated.GetRawResponse().Content))
            Assert.Equal("multi", v.RootElement.GetProperty("grader").GetProperty("type").GetString());
        var run = await graders.RunGraderAsync(BinaryContent.Create(BinaryData.FromString(
            "{\"grader\":" + JobFixtures.Grader + ",\"model_sample\":\"a\",\"item\":{\"answer\":\"a\"}}")), null);
        using (var r = JsonDocument.Parse(run.GetRawResponse().Content))
            Assert.Equal(2.0, r.RootElement.GetProperty("reward").GetDouble(), 6);

        // The fine-tuned model and a checkpoint chat, streamed or not, with the same text for the same seed.
        foreach (var id in new[] { model, checkpoints[0].ModelId })
        {
            var chat = client.GetChatClient(id);
            var options = new ChatCompletionOptions { Seed = 3, MaxOutputTokenCount = 6 };
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Say the letter a")], options, _ct);
            Assert.Equal(id, completion.Model);
            Assert.True(completion.Usage.OutputTokenCount is > 0 and <= 6);
            var streamed = new StringBuilder();
            await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Say the letter a")], options, _ct))
                foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            Assert.Equal(completion.Content.Count == 0 ? "" : completion.Content[0].Text, streamed.ToString());
        }
    }
}
