using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Graders.Metrics;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Grading;

/// <summary>
/// /graders/run with this deployment's judges and embeddings: a model registered in the caller's project judges
/// through the chat model cache (and only for that project), a configured judge and embeddings endpoint (a separate
/// process) answer through the OpenAI client, and the result carries OpenAI's usage and timing fields.
/// </summary>
public sealed class GradersRunTests(StorageFixture storage) : IAsyncLifetime
{
    private GradingServer _grading = null!;
    private ApiServer _server = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _grading = await GradingServer.StartAsync();
        _server = await ApiServer.StartAsync(storage, new Dictionary<string, string?>
        {
            ["Rft:Grading:Judges:local:BaseUrl"] = _grading.BaseUrl + "/v1",
            ["Rft:Grading:Judges:local:Models:gpt-judge"] = "served-judge",
            ["Rft:Grading:Embeddings:BaseUrl"] = _grading.BaseUrl + "/v1",
            ["Rft:Grading:Embeddings:Model"] = "embed-small",
        });
        _client = _server.Client();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _grading.Dispose();
    }

    private async Task<JsonElement> RunAsync(string grader, string sample, string? item = null, HttpClient? client = null) =>
        await ApiAssert.OkAsync(await (client ?? _client).PostJson("v1/fine_tuning/alpha/graders/run",
            "{\"grader\":" + grader + ",\"model_sample\":" + JsonSerializer.Serialize(sample) + (item is null ? "" : ",\"item\":" + item) + "}"));

    [Fact]
    public async Task A_model_registered_in_the_project_judges_through_the_model_cache()
    {
        await JobFixtures.RegisterTinyAsync(_client, "tiny-judge");
        var grader = """
            {"type":"score_model","name":"local","model":"tiny-judge","sampling_params":{"temperature":0,"max_completions_tokens":12},
             "input":[{"role":"user","content":"Rate: {{ sample.output_text }}"}]}
            """;
        var result = await RunAsync(grader, "the answer is 4");
        var metadata = result.GetProperty("metadata");
        var errors = metadata.GetProperty("errors");
        Assert.False(errors.GetProperty("model_grader_server_error").GetBoolean(), result.ToString());
        Assert.Equal("tiny-judge", metadata.GetProperty("sampled_model_name").GetString());
        var usage = result.GetProperty("model_grader_token_usage_per_model").GetProperty("tiny-judge");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt64() > 10);
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt64(), 1, 12);
        Assert.True(metadata.GetProperty("execution_time").GetDouble() > 0);
        // A tiny random model seldom writes a number: either a reward in range or a parse error, never a silent 0.
        Assert.True(errors.GetProperty("model_grader_parse_error").GetBoolean() || result.GetProperty("reward").GetDouble() is >= 0 and <= 1);
        Assert.Contains("tiny-judge", _server.Services.GetRequiredService<RftFunctions.Functions.Api.Chat.ModelCache>().Loaded);

        // The same greedy request twice gives the same answer (the judge's seed is stable), and another project
        // cannot use this project's model as a judge.
        var again = await RunAsync(grader, "the answer is 4");
        Assert.Equal(result.GetProperty("reward").GetDouble(), again.GetProperty("reward").GetDouble());
        using var other = _server.Client(await _server.CreateKeyAsync("other-project"));
        await ApiAssert.ErrorAsync(await other.PostJson("v1/fine_tuning/alpha/graders/run", "{\"grader\":" + grader + ",\"model_sample\":\"x\"}"), 400, "grader.model");
    }

    [Fact]
    public async Task A_configured_judge_answers_through_the_openai_client_with_its_usage()
    {
        const string grader = """
            {"type":"score_model","name":"j","model":"gpt-judge","range":[0,1],"sampling_params":{"temperature":0.2,"seed":3},
             "input":[{"role":"user","content":"Grade <<{{ sample.output_text }}>>"}]}
            """;
        const string sample = "Paris is the capital of France.";
        var result = await RunAsync(grader, sample);
        Assert.Equal(GradingServer.Score(sample), result.GetProperty("reward").GetDouble(), 9);
        var usage = result.GetProperty("model_grader_token_usage_per_model").GetProperty("judge-model-2025-01-01");
        Assert.Equal(9, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal(2, usage.GetProperty("cached_tokens").GetInt64());
        var request = _grading.Requests.Last(r => r.GetProperty("path").GetString() == "/v1/chat/completions");
        Assert.Equal("served-judge", request.GetProperty("model").GetString()); // the operator's model-name map
        Assert.Equal(0.2, request.GetProperty("temperature").GetDouble(), 6);
        Assert.Equal(3, request.GetProperty("seed").GetInt32());
    }

    [Fact]
    public async Task Cosine_is_the_cosine_of_the_vectors_the_embeddings_endpoint_returns()
    {
        const string grader = """{"type":"text_similarity","name":"c","input":"{{ sample.output_text }}","reference":"{{ item.ref }}","evaluation_metric":"cosine"}""";
        const string sample = "a quick brown fox", reference = "the lazy dog sleeps";
        var result = await RunAsync(grader, sample, JsonSerializer.Serialize(new { @ref = reference }));
        Assert.Equal(Cosine.Similarity(GradingServer.Vector(sample), GradingServer.Vector(reference)), result.GetProperty("reward").GetDouble(), 6);
        Assert.True(result.GetProperty("reward").GetDouble() is > 0 and < 1);
        var request = _grading.Requests.Last(r => r.GetProperty("path").GetString() == "/v1/embeddings");
        Assert.Equal("embed-small", request.GetProperty("model").GetString());
        Assert.Equal([sample, reference], request.GetProperty("input").EnumerateArray().Select(e => e.GetString()));
    }
}
