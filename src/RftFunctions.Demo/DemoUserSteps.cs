using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Blobs.Models;
using RftFunctions.Demo.Genes;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Functions.Triggers;
using RftFunctions.Training.Config;

namespace RftFunctions.Demo;

/// <summary>
/// What a user of the platform does to run the demo's job, each step through the platform's own surfaces: copy a
/// Hugging Face folder into the <c>models</c> container and register it by blob prefix, drop datasets into the
/// <c>datasets</c> container (the blob trigger registers them as files), and create the job with
/// <c>POST /v1/fine_tuning/jobs</c>.
/// </summary>
public static class DemoUserSteps
{
    /// <summary>What a job is made of besides its training config.</summary>
    /// <param name="Model">The registered base model's id.</param>
    /// <param name="TrainingFile">The training file's id.</param>
    /// <param name="ValidationFile">The validation file's id.</param>
    /// <param name="TrainingExamples">Lines in the training file (OpenAI's defaults depend on it).</param>
    /// <param name="Suffix">The fine-tuned model's suffix.</param>
    /// <param name="Demo">The demo's name, kept in the job's metadata.</param>
    /// <param name="Grader">The grader config, as a user writes it.</param>
    /// <param name="ResponseFormat">The <c>response_format</c> (json_schema) answers must follow, or null for text.</param>
    public sealed record JobInputs(string Model, string TrainingFile, string ValidationFile, int TrainingExamples, string Suffix, string Demo, JsonNode Grader, JsonNode? ResponseFormat = null);

    /// <summary>
    /// Uploads the base model folder to <c>models/{project}/demo-base/{key}/</c> (the demo project's own folder, the only
    /// one its key may register; files already there with the same size are kept, so later runs upload nothing) and registers it as <c>gene-demo-base-{key}</c> unless it already is.
    /// Returns the model id.
    /// </summary>
    public static async Task<string> RegisterBaseModelAsync(DemoPlatform platform, string folder, string key, CancellationToken ct) =>
        await RegisterBaseModelAsync(platform, folder, key, "gene-demo-base", ct);

    /// <summary>As above, registered as <c>{idPrefix}-{key}</c>.</summary>
    public static async Task<string> RegisterBaseModelAsync(DemoPlatform platform, string folder, string key, string idPrefix, CancellationToken ct)
    {
        var container = platform.Storage.CreateBlobServiceClient().GetBlobContainerClient(platform.Api.ModelsContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        var prefix = $"{platform.Api.DevelopmentProject}/demo-base/{key}/";
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct))
            stored[blob.Name] = blob.Properties.ContentLength ?? -1;
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var name = prefix + Path.GetFileName(file);
            if (stored.TryGetValue(name, out var length) && length == new FileInfo(file).Length) continue;
            await container.GetBlobClient(name).UploadAsync(file, overwrite: true, ct);
        }
        var id = $"{idPrefix}-{key}";
        using var existing = await platform.Http.GetAsync($"v1/models/{Uri.EscapeDataString(id)}", ct);
        if (existing.StatusCode == HttpStatusCode.NotFound)
            await PostAsync(platform, "v1/models", new JsonObject { ["id"] = id, ["blob"] = $"{container.Name}/{prefix.TrimEnd('/')}" }, ct);
        else
            await EnsureSuccessAsync(existing, "GET v1/models/" + id, ct);
        return id;
    }

    /// <summary>
    /// Drops a JSONL file into the datasets container (top level: the development project's) and waits until the
    /// blob trigger has registered it; returns the file id. The id is the trigger's, derived from the blob name and
    /// the ETag the upload answered with.
    /// </summary>
    public static async Task<string> DropDatasetAsync(DemoPlatform platform, string path, string blobName, CancellationToken ct)
    {
        var container = platform.Storage.CreateBlobServiceClient().GetBlobContainerClient(platform.Api.DatasetsContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        ETag etag = (await container.GetBlobClient(blobName).UploadAsync(path, overwrite: true, ct)).Value.ETag;
        var id = DatasetBlobTrigger.FileIdFor(blobName, etag);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            platform.EnsureRunning();
            using var response = await platform.Http.GetAsync($"v1/files/{id}", ct);
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                var file = await ReadAsync(response, $"GET v1/files/{id}", ct);
                var status = file.GetProperty("status").GetString();
                if (status == "processed") return id;
                if (status == "error")
                    throw new InvalidDataException($"{blobName} was registered as {id} with errors: {file.GetProperty("status_details").GetString()}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the datasets trigger did not register {blobName} within 2 minutes; see {platform.LogPath}");
            await Task.Delay(200, ct);
        }
    }

    /// <summary>
    /// The create request for the recipe's training config: OpenAI's hyperparameters where they say it (batch_size,
    /// n_epochs, eval_interval, eval_samples, compute_multiplier), and the <c>trainer</c> extension for every knob they
    /// cannot (computed as the difference from what the hyperparameters alone resolve to, exactly as the API does).
    /// </summary>
    public static JsonObject CreateRequest(string model, string trainingFile, string validationFile, int trainingExamples, RftTrainingConfig training, long seed) =>
        CreateRequest(new JobInputs(model, trainingFile, validationFile, trainingExamples, "gene-demo", "gene-ranking", JsonNode.Parse(DemoDataset.GraderJson)!), training, seed);

    /// <summary>The create request for <paramref name="inputs"/> (model, files, grader, response format) and the
    /// recipe's training config, written as <see cref="CreateRequest(string, string, string, int, RftTrainingConfig, long)"/> describes.</summary>
    public static JsonObject CreateRequest(JobInputs inputs, RftTrainingConfig training, long seed)
    {
        var hyperparameters = new JsonObject
        {
            ["n_epochs"] = training.Epochs,
            ["batch_size"] = training.PromptsPerStep,
            ["eval_interval"] = training.EvalInterval,
            ["eval_samples"] = training.EvalSamples,
            // G = round(8 × m): m = G / 8 is exact in binary, so this gives back G.
            ["compute_multiplier"] = training.SamplesPerPrompt / 8.0,
        };
        // Read back from text, as the API reads the request (a node built from CLR values is not a parsed number).
        var parsed = JsonNode.Parse(hyperparameters.ToJsonString())!.AsObject();
        var resolved = OpenAiHyperparameters.FromJson(parsed).Resolve(FineTuningJobCreator.Baseline, inputs.TrainingExamples, seed);
        var reinforcement = new JsonObject
        {
            ["grader"] = inputs.Grader.DeepClone(),
            ["hyperparameters"] = hyperparameters,
            ["trainer"] = TrainerKnobs.Difference(resolved, training with { Seed = seed }),
        };
        if (inputs.ResponseFormat is not null) reinforcement["response_format"] = inputs.ResponseFormat.DeepClone();
        return new JsonObject
        {
            ["model"] = inputs.Model,
            ["training_file"] = inputs.TrainingFile,
            ["validation_file"] = inputs.ValidationFile,
            ["suffix"] = inputs.Suffix,
            ["seed"] = seed,
            ["metadata"] = new JsonObject { ["demo"] = inputs.Demo },
            ["method"] = new JsonObject { ["type"] = "reinforcement", ["reinforcement"] = reinforcement },
        };
    }

    /// <summary>Creates the job; returns its object.</summary>
    public static Task<JsonElement> CreateJobAsync(DemoPlatform platform, JsonObject request, CancellationToken ct) =>
        PostAsync(platform, "v1/fine_tuning/jobs", request, ct);

    /// <summary>POSTs JSON; the answer's JSON, or an exception carrying the API's error message.</summary>
    public static async Task<JsonElement> PostAsync(DemoPlatform platform, string path, JsonNode body, CancellationToken ct)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await platform.Http.PostAsync(path, content, ct);
        return await ReadAsync(response, "POST " + path, ct);
    }

    /// <summary>GETs JSON.</summary>
    public static async Task<JsonElement> GetAsync(DemoPlatform platform, string path, CancellationToken ct)
    {
        using var response = await platform.Http.GetAsync(path, ct);
        return await ReadAsync(response, "GET " + path, ct);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, what, ct);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return document.RootElement.Clone();
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        throw new InvalidOperationException($"{what} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
    }
}
