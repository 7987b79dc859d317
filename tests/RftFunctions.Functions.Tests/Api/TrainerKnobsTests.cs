using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Functions.Api.FineTuning;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// The create request's <c>method.reinforcement.trainer</c> extension against the real <c>rft</c> host process: bad
/// knobs are 400s naming the knob and create nothing; good ones land in the job's stored config (after the OpenAI
/// hyperparameters, which they override) and the job trains with them.
/// </summary>
public sealed class TrainerKnobsTests(StorageFixture storage)
{
    private const string Key = "sk-trainer-knobs";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Trainer_knobs_are_checked_by_name_and_the_job_runs_the_config_they_give()
    {
        var prefix = storage.UniqueName("k").Replace("-", "", StringComparison.Ordinal);
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = prefix,
            // The tiny model is registered by its path under the temp directory.
            ["Rft__ModelImportRoot"] = Path.GetTempPath(),
            ["Rft__DevelopmentApiKey"] = Key,
            ["Rft__Roles"] = "all",
            ["Rft__CheckpointScanSeconds"] = "0",
            ["Rft__ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-knobs-cache", prefix),
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = prefix + "hub",
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using (var ready = await host.WaitForAsync(http, "/v1/models", TimeSpan.FromSeconds(120), _ct))
            await ApiAssert.OkAsync(ready);
        await JobFixtures.RegisterTinyAsync(http, "tiny");
        var training = await JobFixtures.UploadAsync(http, JobFixtures.Dataset(4));
        var validation = await JobFixtures.UploadAsync(http, JobFixtures.Dataset(2, offset: 10), "valid.jsonl");

        string Body(string trainer) =>
            "{\"model\":\"tiny\",\"training_file\":\"" + training + "\",\"validation_file\":\"" + validation + "\",\"seed\":5,"
            + "\"method\":{\"type\":\"reinforcement\",\"reinforcement\":{\"grader\":" + JobFixtures.Grader
            + ",\"hyperparameters\":{\"n_epochs\":1,\"batch_size\":2,\"compute_multiplier\":0.25,\"eval_interval\":1,\"reasoning_effort\":\"low\"}"
            + ",\"trainer\":" + trainer + "}}}";

        var bad = new (string Trainer, string Param, string Code)[]
        {
            ("3", "method.reinforcement.trainer", "invalid_type"),
            ("{\"learning_rat\":0.1}", "method.reinforcement.trainer.learning_rat", "unknown_parameter"),
            ("{\"seed\":3}", "method.reinforcement.trainer.seed", "unknown_parameter"),
            ("{\"inject_non_finite_loss_at_steps\":[0]}", "method.reinforcement.trainer.inject_non_finite_loss_at_steps", "unknown_parameter"),
            ("{\"mode\":\"partial\"}", "method.reinforcement.trainer.mode", "invalid_type"),
            ("{\"mode\":1}", "method.reinforcement.trainer.mode", "invalid_type"),
            ("{\"max_completion_tokens\":2.5}", "method.reinforcement.trainer.max_completion_tokens", "invalid_type"),
            ("{\"learning_rate\":\"0.1\"}", "method.reinforcement.trainer.learning_rate", "invalid_type"),
            ("{\"mask_truncated_completions\":1}", "method.reinforcement.trainer.mask_truncated_completions", "invalid_type"),
            ("{\"lora_targets\":[\"q_proj\",\"\"]}", "method.reinforcement.trainer.lora_targets", "invalid_value"),
            ("{\"budget\":{\"max_token\":5}}", "method.reinforcement.trainer.budget", "invalid_type"),
            ("{\"weight_decay\":null}", "method.reinforcement.trainer.weight_decay", "invalid_type"),
            ("{\"samples_per_prompt\":1}", "method.reinforcement.trainer.samples_per_prompt", "invalid_value"),
            ("{\"learning_rate\":0}", "method.reinforcement.trainer.learning_rate", "invalid_value"),
            ("{\"beta2\":1.5}", "method.reinforcement.trainer.beta2", "invalid_value"),
            ("{\"budget\":{\"max_tokens\":0}}", "method.reinforcement.trainer.budget", "invalid_value"),
        };
        foreach (var (trainer, param, code) in bad)
        {
            var error = await ApiAssert.ErrorAsync(await http.PostJson("v1/fine_tuning/jobs", Body(trainer)), 400, param);
            Assert.True(code == error.GetProperty("code").GetString(), $"{trainer}: {error}");
        }
        var none = await ApiAssert.OkAsync(await http.Get("v1/fine_tuning/jobs"));
        Assert.Equal(0, none.GetProperty("data").GetArrayLength());

        // The knobs win over the hyperparameters they overlap (samples_per_prompt over compute_multiplier,
        // max_completion_tokens over reasoning_effort); the rest of the hyperparameters still apply (batch_size).
        const string knobs = """
            {"mode":"full","learning_rate":0.003,"max_completion_tokens":5,"samples_per_prompt":3,"weight_decay":0,
             "schedule":"cosine","loss_aggregation":"dr_grpo","scaling":"none","lora_targets":["q_proj"],"budget":{"max_tokens":100000}}
            """;
        var job = await ApiAssert.OkAsync(await http.PostJson("v1/fine_tuning/jobs", Body(knobs)));
        var jobId = job.GetProperty("id").GetString()!;
        Assert.Equal("full", job.GetProperty("method").GetProperty("reinforcement").GetProperty("trainer").GetProperty("mode").GetString());

        var jobs = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(prefix + "jobs");
        var spec = (await jobs.GetBlobClient(TrainingJobSpec.BlobName(jobId)).DownloadContentAsync(_ct)).Value.Content.ToObjectFromJson<TrainingJobSpec>()!;
        var hyperparameters = OpenAiHyperparameters.FromJson(JsonNode.Parse("""{"n_epochs":1,"batch_size":2,"compute_multiplier":0.25,"eval_interval":1,"reasoning_effort":"low"}""")!.AsObject());
        var expected = hyperparameters.Resolve(FineTuningJobCreator.Baseline, 4, 5) with
        {
            Mode = FineTuningMode.Full,
            LearningRate = 0.003,
            MaxCompletionTokens = 5,
            SamplesPerPrompt = 3,
            WeightDecay = 0,
            Schedule = LearningRateSchedule.Cosine,
            LossAggregation = RftFunctions.Training.Grpo.LossAggregation.DrGrpo,
            Scaling = RftFunctions.Training.Grpo.AdvantageScaling.None,
            LoraTargets = ["q_proj"],
            Budget = new ComputeBudget(MaxTokens: 100000),
        };
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(spec.Config));
        Assert.Equal(2, spec.Config.PromptsPerStep);

        // The job trains with them: full fine-tuning, G = 3, completions of at most 5 tokens, cosine from 0.003.
        var done = await JobFixtures.WaitForAsync(http, jobId, JobFixtures.Terminal);
        Assert.True(done.GetProperty("status").GetString() == "succeeded", $"{done}\n{host.Output}");
        var events = await ApiAssert.OkAsync(await http.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=100"));
        var metrics = events.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "metrics")
            .Select(e => e.GetProperty("data")).OrderBy(d => d.GetProperty("step").GetInt32()).ToList();
        Assert.Equal(2, metrics.Count);
        Assert.All(metrics, m => Assert.Equal(6, m.GetProperty("usage").GetProperty("samples").GetInt32()));
        Assert.All(metrics, m => Assert.InRange(m.GetProperty("diagnostics").GetProperty("completion_length_max").GetDouble(), 1, 5));
        Assert.Equal(0.003, metrics[0].GetProperty("diagnostics").GetProperty("lr").GetDouble(), 9);
        Assert.Equal(expected.LearningRateAt(1, 2), metrics[1].GetProperty("diagnostics").GetProperty("lr").GetDouble(), 9);
    }

    [Fact]
    public void Difference_names_exactly_the_knobs_that_differ_and_applying_it_gives_the_wanted_config()
    {
        var resolved = new RftTrainingConfig { PromptsPerStep = 8 };
        var wanted = resolved with { Mode = FineTuningMode.Full, LearningRate = 3e-4, Schedule = LearningRateSchedule.Cosine, LoraTargets = ["q_proj"] };
        var trainer = TrainerKnobs.Difference(resolved, wanted);
        Assert.Equal(["learning_rate", "lora_targets", "mode", "schedule"], trainer.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("full", trainer["mode"]!.GetValue<string>());
        using var document = JsonDocument.Parse(trainer.ToJsonString());
        var applied = TrainerKnobs.Apply(resolved, TrainerKnobs.Parse(document.RootElement));
        Assert.Equal(JsonSerializer.Serialize(wanted), JsonSerializer.Serialize(applied));
    }

    [Fact]
    public async Task Every_trainer_knob_is_documented_in_the_OpenAPI_document()
    {
        await using var stream = typeof(TrainerKnobs).Assembly.GetManifestResourceStream(
            typeof(TrainerKnobs).Assembly.GetManifestResourceNames().Single(n => n.EndsWith("openapi.json", StringComparison.Ordinal)))!;
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: _ct);
        var documented = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("Trainer").GetProperty("properties")
            .EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(TrainerKnobs.Knobs.Keys.Order(StringComparer.Ordinal), documented);
    }
}

public sealed class GspoRecipeTests
{
    private static RftTrainingConfig Apply(string trainer)
    {
        using var document = JsonDocument.Parse(trainer);
        return TrainerKnobs.Apply(new RftTrainingConfig { PromptsPerStep = 8 }, TrainerKnobs.Parse(document.RootElement));
    }

    [Fact]
    public void Choosing_sequence_importance_brings_the_gspo_recipe_for_what_the_request_left_unset()
    {
        var gspo = Apply("{\"importance\":\"sequence\"}");

        Assert.Equal(3e-4, gspo.ClipEpsilonLow);
        Assert.Equal(4e-4, gspo.ClipEpsilonHigh);
        Assert.Equal(Training.Grpo.LossAggregation.Grpo, gspo.LossAggregation);
        Assert.Equal(4, gspo.MiniBatches);
        Assert.Empty(gspo.Validate());

        var mixed = Apply("{\"importance\":\"sequence\",\"clip_epsilon_low\":0.2}");
        Assert.Equal(0.2, mixed.ClipEpsilonLow);
        Assert.Contains(mixed.Validate(), p => p.StartsWith("ClipEpsilonLow", StringComparison.Ordinal));
        Assert.Equal(0.2, Apply("{\"importance\":\"token\"}").ClipEpsilonLow);
    }
}
