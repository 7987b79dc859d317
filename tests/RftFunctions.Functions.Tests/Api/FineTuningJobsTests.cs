using System.Text.Json;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary><c>/v1/fine_tuning/jobs</c> against the API with a durable worker in process, on Azurite.</summary>
public sealed class FineTuningJobsTests(StorageFixture storage) : IAsyncLifetime
{
    private JobsApiServer _server = null!;
    private HttpClient _client = null!;
    private string _training = "";
    private string _validation = "";

    public async ValueTask InitializeAsync()
    {
        _server = await JobsApiServer.StartAsync(storage);
        _client = await _server.ClientAsync("alpha");
        await JobFixtures.RegisterTinyAsync(_client, "tiny");
        _training = await JobFixtures.UploadAsync(_client, JobFixtures.Dataset(4));
        _validation = await JobFixtures.UploadAsync(_client, JobFixtures.Dataset(2, offset: 10), "valid.jsonl");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private Task<HttpResponseMessage> CreateAsync(string body, HttpClient? client = null) => (client ?? _client).PostJson("v1/fine_tuning/jobs", body);

    private string Body(int epochs = 1, string? metadata = null) => JobFixtures.CreateBody("tiny", _training, _validation, epochs, metadata);

    [Fact]
    public async Task A_job_runs_to_succeeded_and_its_events_checkpoints_and_models_are_served_in_OpenAI_shapes()
    {
        var created = await ApiAssert.OkAsync(await CreateAsync(Body(metadata: """{"team":"genes"}""")));
        var jobId = created.GetProperty("id").GetString()!;
        Assert.StartsWith("ftjob-", jobId, StringComparison.Ordinal);
        Assert.Equal("fine_tuning.job", created.GetProperty("object").GetString());
        Assert.Equal("validating_files", created.GetProperty("status").GetString());
        Assert.Equal("tiny", created.GetProperty("model").GetString());
        Assert.Equal(_training, created.GetProperty("training_file").GetString());
        Assert.Equal(_validation, created.GetProperty("validation_file").GetString());
        Assert.Equal(7, created.GetProperty("seed").GetInt64());
        Assert.Equal("e2e", created.GetProperty("user_provided_suffix").GetString());
        Assert.Equal("reinforcement", created.GetProperty("method").GetProperty("type").GetString());
        Assert.Equal("genes", created.GetProperty("metadata").GetProperty("team").GetString());
        foreach (var field in new[] { "fine_tuned_model", "finished_at", "error", "estimated_finish" })
            Assert.Equal(JsonValueKind.Null, created.GetProperty(field).ValueKind);

        var job = await JobFixtures.WaitForAsync(_client, jobId, JobFixtures.Terminal);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        var model = $"ft:tiny:e2e:{jobId}";
        Assert.Equal(model, job.GetProperty("fine_tuned_model").GetString());
        Assert.Equal(2, job.GetProperty("trained_steps").GetInt32());
        Assert.True(job.GetProperty("trained_tokens").GetInt64() > 0);
        Assert.True(job.GetProperty("finished_at").GetInt64() >= job.GetProperty("created_at").GetInt64());

        // Events: newest first, paginated by after/limit, and the pages add up to the whole log.
        var all = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=1000"));
        Assert.Equal("list", all.GetProperty("object").GetString());
        Assert.False(all.GetProperty("has_more").GetBoolean());
        var ids = all.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Contains("successfully completed", all.GetProperty("data")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Validating", all.GetProperty("data")[ids.Count - 1].GetProperty("message").GetString(), StringComparison.Ordinal);
        var metrics = all.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "metrics").ToList();
        Assert.Equal(2, metrics.Count);
        Assert.All(metrics, e => Assert.Equal("fine_tuning.job.event", e.GetProperty("object").GetString()));
        var paged = new List<string>();
        string after = "";
        while (true)
        {
            var page = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=3{(after.Length > 0 ? "&after=" + after : "")}"));
            var data = page.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
            Assert.InRange(data.Count, 1, 3);
            paged.AddRange(data);
            if (!page.GetProperty("has_more").GetBoolean()) break;
            after = data[^1];
        }
        Assert.Equal(ids, paged);

        // Checkpoints (eval_interval 1: steps 1 and 2), each a servable model.
        var checkpoints = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/checkpoints"));
        var list = checkpoints.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([2, 1], list.Select(c => c.GetProperty("step_number").GetInt32()));
        foreach (var c in list)
        {
            Assert.Equal("fine_tuning.job.checkpoint", c.GetProperty("object").GetString());
            Assert.Equal(jobId, c.GetProperty("fine_tuning_job_id").GetString());
            Assert.Equal($"{model}:ckpt-step-{c.GetProperty("step_number").GetInt32()}", c.GetProperty("fine_tuned_model_checkpoint").GetString());
            Assert.InRange(c.GetProperty("metrics").GetProperty("valid_reward_mean").GetDouble(), 0, 2);
            Assert.True(c.GetProperty("created_at").GetInt64() > 0);
        }
        var firstPage = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/checkpoints?limit=1"));
        Assert.True(firstPage.GetProperty("has_more").GetBoolean());
        var secondPage = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/checkpoints?limit=1&after={list[0].GetProperty("id").GetString()}"));
        Assert.Equal(1, secondPage.GetProperty("data")[0].GetProperty("step_number").GetInt32());

        var models = await ApiAssert.OkAsync(await _client.Get("v1/models"));
        var modelIds = models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains(model, modelIds);
        Assert.Contains($"{model}:ckpt-step-1", modelIds);
        foreach (var id in new[] { model, $"{model}:ckpt-step-2" })
        {
            var chat = await ApiAssert.OkAsync(await _client.PostJson("v1/chat/completions",
                JsonSerializer.Serialize(new { model = id, messages = new[] { new { role = "user", content = "Say the letter a" } }, seed = 1, max_tokens = 4 })));
            Assert.Equal(id, chat.GetProperty("model").GetString());
            Assert.Equal(4, chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32() + (chat.GetProperty("choices")[0].GetProperty("finish_reason").GetString() == "stop" ? 4 - chat.GetProperty("usage").GetProperty("completion_tokens").GetInt32() : 0));
        }

        // A finished job refuses control requests; list filters by metadata.
        await ApiAssert.ErrorAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/cancel", null!), 409, "fine_tuning_job_id");
        await ApiAssert.ErrorAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/pause", null!), 409, "fine_tuning_job_id");
        await ApiAssert.ErrorAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/resume", null!), 409, "fine_tuning_job_id");
        var filtered = await ApiAssert.OkAsync(await _client.Get("v1/fine_tuning/jobs?metadata[team]=genes"));
        Assert.Equal([jobId], filtered.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        var none = await ApiAssert.OkAsync(await _client.Get("v1/fine_tuning/jobs?metadata[team]=other"));
        Assert.Empty(none.GetProperty("data").EnumerateArray());

        // DELETE of the ft: model works; it is no longer served.
        var deleted = await ApiAssert.OkAsync(await _client.Delete($"v1/models/{model}"));
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        await ApiAssert.ErrorAsync(await _client.PostJson("v1/chat/completions",
            JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "x" } } })), 404, "model");
    }

    [Fact]
    public async Task A_running_job_pauses_after_a_step_resumes_as_queued_and_cancels_gracefully()
    {
        var jobId = (await ApiAssert.OkAsync(await CreateAsync(Body(epochs: 10)))).GetProperty("id").GetString()!;
        // Before the first step a pause is refused (OpenAI's rule).
        var early = await _client.Post($"v1/fine_tuning/jobs/{jobId}/pause", null!);
        await ApiAssert.ErrorAsync(early, 409, "fine_tuning_job_id");
        await JobFixtures.WaitForAsync(_client, jobId, j => j.GetProperty("trained_steps").GetInt32() >= 1);
        await ApiAssert.OkAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/pause", null!));
        var paused = await JobFixtures.WaitForAsync(_client, jobId, j => j.GetProperty("status").GetString() != "running");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        var steps = paused.GetProperty("trained_steps").GetInt32();
        Assert.InRange(steps, 1, 19);

        var resumed = await ApiAssert.OkAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/resume", null!));
        Assert.Equal("queued", resumed.GetProperty("status").GetString());
        await JobFixtures.WaitForAsync(_client, jobId, j => j.GetProperty("trained_steps").GetInt32() > steps);
        await ApiAssert.OkAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/cancel", null!));
        var cancelled = await JobFixtures.WaitForAsync(_client, jobId, JobFixtures.Terminal);
        Assert.Equal("cancelled", cancelled.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, cancelled.GetProperty("fine_tuned_model").ValueKind);
        await ApiAssert.ErrorAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/cancel", null!), 409);
    }

    [Fact]
    public async Task A_resume_body_raises_the_compute_budget_and_the_job_pauses_again_at_the_new_limit()
    {
        var jobId = (await ApiAssert.OkAsync(await CreateAsync(Body(epochs: 10)))).GetProperty("id").GetString()!;
        await JobFixtures.WaitForAsync(_client, jobId, j => j.GetProperty("trained_steps").GetInt32() >= 1);
        await ApiAssert.OkAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/pause", null!));
        var paused = await JobFixtures.WaitForAsync(_client, jobId, j => j.GetProperty("status").GetString() != "running");
        Assert.Equal("paused", paused.GetProperty("status").GetString());
        var steps = paused.GetProperty("trained_steps").GetInt32();

        // A budget the job has already used up: it runs exactly one more step and pauses, naming the new limit.
        var resumed = await ApiAssert.OkAsync(await _client.PostJson($"v1/fine_tuning/jobs/{jobId}/resume", """{"compute_budget":{"max_tokens":1}}"""));
        Assert.Equal("queued", resumed.GetProperty("status").GetString());
        var again = await JobFixtures.WaitForAsync(_client, jobId, j => j.GetProperty("trained_steps").GetInt32() > steps && j.GetProperty("status").GetString() == "paused");
        Assert.Equal(steps + 1, again.GetProperty("trained_steps").GetInt32());
        var events = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=100"));
        var messages = events.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("message").GetString()!).ToList();
        Assert.Contains("Fine-tuning job resumed with a new compute budget", messages);
        Assert.Contains(messages, m => m.StartsWith($"Compute budget reached after step {steps + 1}:", StringComparison.Ordinal) && m.Contains("of 1 allowed", StringComparison.Ordinal));

        // A bad body changes nothing: still paused.
        await ApiAssert.ErrorAsync(await _client.PostJson($"v1/fine_tuning/jobs/{jobId}/resume", """{"compute_budget":{"max_tokens":-3}}"""), 400, "compute_budget.max_tokens");
        Assert.Equal("paused", (await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}"))).GetProperty("status").GetString());
        await ApiAssert.OkAsync(await _client.Post($"v1/fine_tuning/jobs/{jobId}/cancel", null!));
        Assert.Equal("cancelled", (await JobFixtures.WaitForAsync(_client, jobId, JobFixtures.Terminal)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Another_project_cannot_see_control_or_list_a_job_nor_use_its_models()
    {
        var jobId = (await ApiAssert.OkAsync(await CreateAsync(Body()))).GetProperty("id").GetString()!;
        using var other = await _server.ClientAsync("beta");
        foreach (var path in new[] { "", "/events", "/checkpoints" })
            await ApiAssert.ErrorAsync(await other.Get($"v1/fine_tuning/jobs/{jobId}{path}"), 404, "fine_tuning_job_id");
        foreach (var action in new[] { "cancel", "pause", "resume" })
            await ApiAssert.ErrorAsync(await other.Post($"v1/fine_tuning/jobs/{jobId}/{action}", null!), 404, "fine_tuning_job_id");
        var listed = await ApiAssert.OkAsync(await other.Get("v1/fine_tuning/jobs"));
        Assert.Empty(listed.GetProperty("data").EnumerateArray());
        // Nor can it start a job on the first project's files or model.
        await JobFixtures.RegisterTinyAsync(other, "tiny");
        await ApiAssert.ErrorAsync(await CreateAsync(Body(), other), 400, "training_file");

        var job = await JobFixtures.WaitForAsync(_client, jobId, JobFixtures.Terminal);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var model = job.GetProperty("fine_tuned_model").GetString()!;
        var chat = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = "x" } } });
        await ApiAssert.ErrorAsync(await other.PostJson("v1/chat/completions", chat), 404, "model");
        await ApiAssert.ErrorAsync(await other.Get($"v1/models/{model}"), 404);
        await ApiAssert.ErrorAsync(await other.Delete($"v1/models/{model}"), 404);
        await ApiAssert.OkAsync(await _client.PostJson("v1/chat/completions", chat));
        var mine = await ApiAssert.OkAsync(await _client.Get("v1/fine_tuning/jobs"));
        Assert.Contains(jobId, mine.GetProperty("data").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
    }

    public static TheoryData<string, int, string?> BadCreates => new()
    {
        { """{"training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "model" },
        { """{"model":"nope","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "model" },
        { """{"model":"tiny","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "training_file" },
        { """{"model":"tiny","training_file":"T","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "validation_file" },
        { """{"model":"tiny","training_file":"file-000000000000000000000000","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "training_file" },
        { """{"model":"tiny","training_file":"T","validation_file":"V"}""", 400, "method" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"supervised","supervised":{}}}""", 400, "method.type" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"dpo"}}""", 400, "method.type" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","hyperparameters":{"n_epochs":2},"method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "hyperparameters" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{}}}""", 400, "method.reinforcement.grader" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":{"type":"string_check","name":"x","input":"a","reference":"b","operation":"zz"}}}}""", 400, "method.reinforcement.grader.operation" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G,"hyperparameters":{"n_epochs":0}}}}""", 400, "method.reinforcement.hyperparameters.n_epochs" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G,"hyperparameters":{"batch_size":"big"}}}}""", 400, "method.reinforcement.hyperparameters.batch_size" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G,"hyperparameters":{"reasoning_effort":"max"}}}}""", 400, "method.reinforcement.hyperparameters.reasoning_effort" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G,"hyperparameters":{"learning_rate":1}}}}""", 400, "method.reinforcement.hyperparameters.learning_rate" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G,"response_format":{"type":"xml"}}}}""", 400, "method.reinforcement.response_format.type" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","suffix":"has space","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "suffix" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","seed":-1,"method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "seed" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","metadata":{"k":1},"method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "metadata.k" },
        { """{"model":"tiny","training_file":"T","validation_file":"V","bogus":1,"method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "bogus" },
        { """{"model":1,"training_file":"T","validation_file":"V","method":{"type":"reinforcement","reinforcement":{"grader":G}}}""", 400, "model" },
        { """[1,2]""", 400, null },
        { """{"model":""", 400, null },
    };

    [Theory]
    [MemberData(nameof(BadCreates))]
    public async Task Bad_creates_get_400_naming_the_parameter_and_create_nothing(string template, int status, string? param)
    {
        var body = template.Replace("\"T\"", $"\"{_training}\"", StringComparison.Ordinal).Replace("\"V\"", $"\"{_validation}\"", StringComparison.Ordinal)
            .Replace(":G", ":" + JobFixtures.Grader, StringComparison.Ordinal);
        await ApiAssert.ErrorAsync(await CreateAsync(body), status, param);
        var jobs = await ApiAssert.OkAsync(await _client.Get("v1/fine_tuning/jobs"));
        Assert.Empty(jobs.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Files_that_are_not_usable_for_a_job_are_refused_naming_the_file_parameter()
    {
        var broken = await ApiAssert.OkAsync(await _client.Post("v1/files", ApiAssert.Upload("{\"messages\": 1}\n", "bad.jsonl")));
        Assert.Equal("error", broken.GetProperty("status").GetString());
        var body = JobFixtures.CreateBody("tiny", broken.GetProperty("id").GetString()!, _validation);
        var error = await ApiAssert.ErrorAsync(await CreateAsync(body), 400, "training_file");
        Assert.Contains("error", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // OpenAI's validation limit: at most 1,000 lines.
        var big = await JobFixtures.UploadAsync(_client, JobFixtures.Dataset(1001), "big.jsonl");
        error = await ApiAssert.ErrorAsync(await CreateAsync(JobFixtures.CreateBody("tiny", _training, big)), 400, "validation_file");
        Assert.Contains("more than 1000 examples", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        // A 1,001-line training file is fine.
        var job = await ApiAssert.OkAsync(await CreateAsync(JobFixtures.CreateBody("tiny", big, _validation)));
        await ApiAssert.OkAsync(await _client.Post($"v1/fine_tuning/jobs/{job.GetProperty("id").GetString()}/cancel", null!));
    }

    [Fact]
    public async Task Unknown_ids_bad_paging_and_bad_filters_get_OpenAI_errors()
    {
        await ApiAssert.ErrorAsync(await _client.Get("v1/fine_tuning/jobs/ftjob-nope"), 404, "fine_tuning_job_id");
        await ApiAssert.ErrorAsync(await _client.Get("v1/fine_tuning/jobs/ftjob-nope/events"), 404, "fine_tuning_job_id");
        await ApiAssert.ErrorAsync(await _client.Post("v1/fine_tuning/jobs/ftjob-nope/cancel", null!), 404, "fine_tuning_job_id");
        await ApiAssert.ErrorAsync(await _client.Get("v1/fine_tuning/jobs?limit=0"), 400, "limit");
        await ApiAssert.ErrorAsync(await _client.Get("v1/fine_tuning/jobs?limit=abc"), 400, "limit");
        await ApiAssert.ErrorAsync(await _client.Get("v1/fine_tuning/jobs?after=ftjob-unknown"), 400, "after");
        await ApiAssert.ErrorAsync(await _client.Get("v1/fine_tuning/jobs?colour=red"), 400, "colour");
        var jobId = (await ApiAssert.OkAsync(await CreateAsync(Body()))).GetProperty("id").GetString()!;
        await ApiAssert.ErrorAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?after=zzz"), 400, "after");
        await ApiAssert.ErrorAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=-1"), 400, "limit");
        await ApiAssert.ErrorAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/checkpoints?after=ftckpt-x"), 400, "after");
        var listed = await ApiAssert.OkAsync(await _client.Get("v1/fine_tuning/jobs?limit=1"));
        Assert.Equal(jobId, listed.GetProperty("data")[0].GetProperty("id").GetString());
        await JobFixtures.WaitForAsync(_client, jobId, JobFixtures.Terminal);
    }
}
