using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Grading;

/// <summary>
/// Jobs on Azurite whose reward comes from a judge or an endpoint served by a separate process (grading_server.py):
/// the stored rewards are the server's answers for the very samples the policy wrote, the judge's usage reaches the
/// metrics events, endpoint retries are counted, and graders the deployment cannot run are refused at create.
/// </summary>
public sealed class GraderJobTests(StorageFixture storage) : IAsyncLifetime
{
    private const string Secret = "s3cret-grader-key-value";
    private GradingServer _grading = null!;
    private JobsApiServer _server = null!;
    private HttpClient _client = null!;
    private string _training = "";
    private string _validation = "";

    public async ValueTask InitializeAsync()
    {
        _grading = await GradingServer.StartAsync();
        _server = await JobsApiServer.StartAsync(storage, new Dictionary<string, string?>
        {
            ["Rft:Grading:Judges:local:BaseUrl"] = _grading.BaseUrl + "/v1",
            ["Rft:Grading:Judges:local:ApiKey"] = "sk-judge",
            ["Rft:Grading:Judges:local:Models:gpt-judge"] = "",
            // The test servers are on loopback, which the default policy refuses (GraderCapabilityTests shows it).
            ["Rft:Grading:Endpoints:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Rft:Grading:Endpoints:Secrets:GRADER_KEY:Value"] = Secret,
        });
        _client = await _server.ClientAsync("judged");
        await JobFixtures.RegisterTinyAsync(_client, "tiny");
        _training = await JobFixtures.UploadAsync(_client, JobFixtures.Dataset(4));
        _validation = await JobFixtures.UploadAsync(_client, JobFixtures.Dataset(2, offset: 10), "valid.jsonl");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _grading.Dispose();
    }

    private const string ScoreModel = """
        {"type":"score_model","name":"judge","model":"gpt-judge","sampling_params":{"temperature":0,"seed":5},
         "input":[{"role":"user","content":"Grade <<{{ sample.output_text }}>>"}]}
        """;

    private const string LabelInMulti = """
        {"type":"multi","name":"combined","calculate_output":"0.5 * tone + 0.5 * exact","graders":{
          "tone":{"type":"label_model","name":"tone","model":"gpt-judge","labels":["good","bad"],"passing_labels":["good"],
                  "input":[{"role":"user","content":"Label <<{{ sample.output_text }}>>"}]},
          "exact":{"type":"string_check","name":"exact","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"like"}}}
        """;

    private string Body(string grader) =>
        "{\"model\":\"tiny\",\"training_file\":\"" + _training + "\",\"validation_file\":\"" + _validation + "\",\"suffix\":\"judged\",\"seed\":7,"
        + "\"method\":{\"type\":\"reinforcement\",\"reinforcement\":{\"grader\":" + grader
        + ",\"hyperparameters\":{\"n_epochs\":1,\"batch_size\":2,\"compute_multiplier\":0.25,\"eval_interval\":1,\"eval_samples\":1,\"reasoning_effort\":\"low\"}"
        // Long enough that most of the tiny model's samples end before the limit (truncated samples score 0 ungraded).
        + ",\"trainer\":{\"max_completion_tokens\":512}}}}";

    private async Task<(string JobId, List<JsonElement> Metrics)> RunJobAsync(string grader)
    {
        var created = await ApiAssert.OkAsync(await _client.PostJson("v1/fine_tuning/jobs", Body(grader)));
        var jobId = created.GetProperty("id").GetString()!;
        var job = await JobFixtures.WaitForAsync(_client, jobId, JobFixtures.Terminal);
        Assert.True(job.GetProperty("status").GetString() == "succeeded", job.ToString());
        var events = await ApiAssert.OkAsync(await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=1000"));
        var metrics = events.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "metrics")
            .Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(2, metrics.Count);
        return (jobId, metrics);
    }

    /// <summary>Every training sample of the job with its stored grade.</summary>
    private async Task<List<(StoredSample Sample, StoredGrade Grade)>> TrainingGradesAsync(string jobId)
    {
        var container = _server.Services.GetRequiredService<JobStore>().Container;
        var graded = new List<(StoredSample, StoredGrade)>();
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{jobId}/steps/", TestContext.Current.CancellationToken))
        {
            if (!blob.Name.Contains("/train/rollout-", StringComparison.Ordinal)) continue;
            var rollout = await JobBlobs.ReadAsync<StoredRollout>(container, blob.Name, TestContext.Current.CancellationToken);
            var grades = await JobBlobs.ReadAsync<StoredGrades>(container, blob.Name.Replace("/rollout-", "/grade-", StringComparison.Ordinal), TestContext.Current.CancellationToken);
            graded.AddRange(rollout.Samples.Zip(grades.Grades));
        }
        Assert.Equal(8, graded.Count); // 2 steps x 2 prompts x 2 samples
        return graded;
    }

    private static void AssertSampleDependent(IEnumerable<double> rewards)
    {
        var list = rewards.ToList();
        Assert.Contains(list, r => r > 0);
        Assert.True(list.Distinct().Count() >= 2, "rewards do not depend on the sample: " + string.Join(", ", list));
    }

    [Fact]
    public async Task A_score_model_job_trains_on_the_judges_sample_dependent_scores_and_reports_its_usage()
    {
        var (jobId, metrics) = await RunJobAsync(ScoreModel);

        var graded = await TrainingGradesAsync(jobId);
        foreach (var (sample, grade) in graded)
            Assert.Equal(sample.Truncated ? 0 : GradingServer.Score(sample.Text), grade.Reward, 9);
        AssertSampleDependent(graded.Select(g => g.Grade.Reward));
        Assert.Contains(metrics, m => m.GetProperty("scores").GetProperty("train_reward_mean").GetDouble() > 0);

        var judged = _grading.Requests.Where(r => r.GetProperty("path").GetString() == "/v1/chat/completions").ToList();
        Assert.All(judged, r => Assert.Equal("Bearer sk-judge", r.GetProperty("auth").GetString()));
        Assert.All(judged, r => Assert.Equal("gpt-judge", r.GetProperty("model").GetString()));
        Assert.All(judged, r => Assert.Equal(5, r.GetProperty("seed").GetInt32()));
        // Usage by the model the judge reported, as it reported it: 9 completion tokens per judged training sample.
        int judgedTraining = graded.Count(g => !g.Sample.Truncated);
        long completion = 0;
        foreach (var m in metrics)
        {
            var usage = m.GetProperty("usage").GetProperty("model_graders_token_usage");
            if (usage.TryGetProperty("judge-model-2025-01-01", out var u))
            {
                Assert.True(u.GetProperty("prompt_tokens").GetInt64() > 0);
                Assert.Equal(u.GetProperty("prompt_tokens").GetInt64() + u.GetProperty("completion_tokens").GetInt64(), u.GetProperty("total_tokens").GetInt64());
                completion += u.GetProperty("completion_tokens").GetInt64();
            }
            Assert.True(m.GetProperty("usage").TryGetProperty("valid_model_graders_token_usage", out _));
            var timing = m.GetProperty("timing").GetProperty("graders").GetProperty("judge");
            Assert.Equal(4, timing.GetProperty("count").GetInt32());
            Assert.True(timing.GetProperty("max").GetDouble() >= timing.GetProperty("mean").GetDouble());
        }
        Assert.Equal(9L * judgedTraining, completion);
    }

    [Fact]
    public async Task A_label_model_inside_multi_job_rewards_the_judges_labels()
    {
        var (jobId, metrics) = await RunJobAsync(LabelInMulti);

        var graded = await TrainingGradesAsync(jobId);
        var examples = JobFixtures.Dataset(4).Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("answer").GetString()!).ToList();
        foreach (var (sample, grade) in graded)
        {
            if (sample.Truncated)
            {
                Assert.Equal(0, grade.Reward);
                continue;
            }
            double tone = GradingServer.Label(sample.Text) == "good" ? 1 : 0;
            double exact = sample.Text.Contains(examples[sample.Example], StringComparison.Ordinal) ? 1 : 0;
            Assert.Equal(tone, grade.SubRewards["tone"]);
            Assert.Equal(0.5 * tone + 0.5 * exact, grade.Reward, 9);
        }
        Assert.Contains(graded, g => !g.Sample.Truncated && GradingServer.Label(g.Sample.Text) == "good");
        Assert.Contains(graded, g => !g.Sample.Truncated && GradingServer.Label(g.Sample.Text) == "bad");
        Assert.Contains(metrics, m => m.GetProperty("usage").GetProperty("model_graders_token_usage").TryGetProperty("judge-model-2025-01-01", out _));
        Assert.All(metrics, m => Assert.True(m.GetProperty("timing").GetProperty("graders").TryGetProperty("tone", out _)));
    }

    [Fact]
    public async Task An_endpoint_grader_that_fails_twice_with_503_is_retried_and_its_answer_is_the_reward()
    {
        var grader = "{\"type\":\"endpoint\",\"name\":\"remote\",\"url\":\"" + _grading.BaseUrl + "/grade\",\"rate_limit\":200,\"pass_threshold\":0.5,"
                     + "\"headers\":{\"Authorization\":\"Bearer {{ secrets.GRADER_KEY }}\"}}";
        var (jobId, metrics) = await RunJobAsync(grader);

        var graded = await TrainingGradesAsync(jobId);
        foreach (var (sample, grade) in graded)
        {
            Assert.Equal(sample.Truncated ? 0 : GradingServer.Score(sample.Text), grade.Reward, 9);
            Assert.Empty(grade.Errors);
        }
        AssertSampleDependent(graded.Select(g => g.Grade.Reward));

        // Three attempts per graded sample (503, 503, answer), the secret resolved only on the wire.
        var calls = _grading.Requests.Where(r => r.GetProperty("path").GetString() == "/grade").ToList();
        Assert.All(calls.GroupBy(c => c.GetProperty("trace_id").GetString()), g => Assert.Equal([1, 2, 3], g.Select(c => c.GetProperty("attempt").GetInt32()).Order()));
        Assert.All(calls, c => Assert.Equal("Bearer " + Secret, c.GetProperty("auth").GetString()));
        int retries = metrics.Sum(m => m.GetProperty("timing").GetProperty("graders").GetProperty("remote").GetProperty("retries").GetInt32());
        Assert.Equal(2 * graded.Count(g => !g.Sample.Truncated), retries);

        var job = await _client.Get($"v1/fine_tuning/jobs/{jobId}");
        var events = await _client.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=1000");
        Assert.DoesNotContain(Secret, await job.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, await events.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"score_model","name":"j","model":"gpt-unknown","input":[{"role":"user","content":"{{ sample.output_text }}"}]}""", "method.reinforcement.grader.model")]
    [InlineData("""{"type":"multi","name":"m","calculate_output":"t","graders":{"t":{"type":"label_model","name":"t","model":"someone-elses","labels":["a","b"],"passing_labels":["a"],"input":[{"role":"user","content":"x"}]}}}""", "method.reinforcement.grader.graders.t.model")]
    [InlineData("""{"type":"text_similarity","name":"c","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","evaluation_metric":"cosine"}""", "method.reinforcement.grader.evaluation_metric")]
    [InlineData("""{"type":"endpoint","name":"e","url":"http://169.254.169.254/latest/meta-data/"}""", "method.reinforcement.grader.url")]
    [InlineData("""{"type":"endpoint","name":"e","url":"http://10.0.0.7/grade"}""", "method.reinforcement.grader.url")]
    [InlineData("""{"type":"endpoint","name":"e","url":"http://127.0.0.1:1/grade","headers":{"X-Key":"{{ secrets.NOT_CONFIGURED }}"}}""", "method.reinforcement.grader.headers['X-Key']")]
    public async Task Job_create_refuses_a_grader_this_deployment_cannot_run(string grader, string param)
    {
        var error = await ApiAssert.ErrorAsync(await _client.PostJson("v1/fine_tuning/jobs", Body(grader)), 400, param);
        Assert.Equal("unsupported_grader", error.GetProperty("code").GetString());
        var jobs = await ApiAssert.OkAsync(await _client.Get("v1/fine_tuning/jobs"));
        Assert.DoesNotContain(jobs.GetProperty("data").EnumerateArray(), j => j.GetProperty("method").ToString().Contains("\"name\":\"e\"", StringComparison.Ordinal));
    }
}
