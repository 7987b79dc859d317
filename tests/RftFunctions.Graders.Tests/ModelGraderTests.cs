using System.Text.Json;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Models;

namespace RftFunctions.Graders.Tests;

/// <summary>score_model, label_model and cosine against a local OpenAI-compatible HTTP server.</summary>
public sealed class ModelGraderTests : IDisposable
{
    private readonly HttpClient _http = new();

    private static string Completion(string? content, string? refusal = null, string finish = "stop") =>
        JsonSerializer.Serialize(new
        {
            id = "chatcmpl-1",
            @object = "chat.completion",
            model = "judge-1",
            choices = new[] { new { index = 0, finish_reason = finish, message = new { role = "assistant", content, refusal } } },
            usage = new { prompt_tokens = 30, completion_tokens = 7, total_tokens = 37, prompt_tokens_details = new { cached_tokens = 4 } },
        });

    private GraderServices Services(LocalHttpServer server) => new()
    {
        ChatModel = new OpenAiChatJudge(new OpenAiEndpoint(new Uri(server.BaseUrl + "v1"), "sk-test"), _http),
        Embeddings = new OpenAiEmbeddings(new OpenAiEndpoint(new Uri(server.BaseUrl + "v1"), "sk-test", "embed-1"), _http),
    };

    private const string ScoreGrader = """
        {"type":"score_model","name":"judge","model":"gpt-4o-mini","range":[0,10],
         "sampling_params":{"temperature":0,"seed":7,"max_completions_tokens":64},
         "input":[{"role":"system","content":"You grade answers."},
                  {"role":"user","content":"Question: {{ item.q }}\nAnswer: {{ sample.output_text }}"}]}
        """;

    [Theory]
    [InlineData("""{"steps":[{"description":"d","conclusion":"c"}],"result":7.5}""", 7.5)]
    [InlineData("""```json\n{"steps":[],"result":12}\n```""", 10)] // clipped to the range
    [InlineData("""{"steps":[],"result":-3}""", 0)]
    [InlineData("""{"steps":[],"result":"4"}""", 4)]
    public async Task Score_model_reads_the_result_and_clips_it(string answer, double expected)
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, Completion(answer)));
        var result = await TestJson.Grade(ScoreGrader, "Paris", """{"q":"Capital of France?"}""", Services(server));
        Assert.False(result.Errors.Any, string.Join("; ", result.Errors.SetFlags));
        Assert.Equal(expected, result.Reward);
        Assert.Equal("judge-1", result.Metadata.SampledModelName);
        Assert.Equal(37, result.ModelGraderTokenUsagePerModel["judge-1"].TotalTokens);
        Assert.Equal(4, result.Metadata.TokenUsage!.CachedTokens);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer sk-test", request.Headers["Authorization"]);
        using var body = JsonDocument.Parse(request.Body);
        var root = body.RootElement;
        Assert.Equal("gpt-4o-mini", root.GetProperty("model").GetString());
        Assert.Equal(7, root.GetProperty("seed").GetInt64());
        Assert.Equal(64, root.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal("json_schema", root.GetProperty("response_format").GetProperty("type").GetString());
        var messages = root.GetProperty("messages");
        Assert.Equal(2, messages.GetArrayLength());
        Assert.StartsWith("You grade answers.", messages[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains("\"result\"", messages[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal("Question: Capital of France?\nAnswer: Paris", messages[1].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("""{"steps":[],"result":"excellent"}""")]
    [InlineData("I think it deserves a good score")]
    [InlineData("""{"steps":[]}""")]
    public async Task Score_model_flags_unparseable_answers(string answer)
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, Completion(answer)));
        var result = await TestJson.Grade(ScoreGrader, "Paris", """{"q":"?"}""", Services(server));
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.ModelGraderParseError);
    }

    [Fact]
    public async Task Score_model_flags_refusals()
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, Completion(null, refusal: "I can't help with that.")));
        var result = await TestJson.Grade(ScoreGrader, "Paris", """{"q":"?"}""", Services(server));
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.ModelGraderRefusalError);
    }

    [Fact]
    public async Task Score_model_flags_server_errors_after_retries()
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(500, """{"error":{"message":"boom"}}"""));
        var result = await TestJson.Grade(ScoreGrader, "Paris", """{"q":"?"}""", Services(server));
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.ModelGraderServerError);
        Assert.Contains("500", result.Errors.ModelGraderServerErrorDetails!, StringComparison.Ordinal);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Score_model_without_a_judge_is_a_server_error()
    {
        var result = await TestJson.Grade(ScoreGrader, "Paris", """{"q":"?"}""");
        Assert.True(result.Errors.ModelGraderServerError);
    }

    [Fact]
    public async Task Score_model_missing_variable_does_not_call_the_judge()
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, Completion("""{"result":1}""")));
        var result = await TestJson.Grade(ScoreGrader, "Paris", """{"other":"?"}""", Services(server));
        Assert.True(result.Errors.InvalidVariableError);
        Assert.Empty(server.Requests);
    }

    private const string LabelMulti = """
        {"type":"multi","name":"m","calculate_output":"0.5 * tone + 0.5 * exact","graders":{
          "tone":{"type":"label_model","name":"tone","model":"judge","labels":["polite","rude","neutral"],"passing_labels":["polite","neutral"],
                  "input":[{"role":"user","content":[{"type":"input_text","text":"Classify: {{ sample.output_text }}"}]}]},
          "exact":{"type":"string_check","name":"exact","input":"{{ sample.output_text }}","reference":"Thank you","operation":"eq"}}}
        """;

    [Theory]
    [InlineData("""{"steps":["s"],"result":"polite"}""", 1.0, false)]
    [InlineData("""{"steps":["s"],"result":"rude"}""", 0.5, false)]
    [InlineData("""{"steps":["s"],"result":"angry"}""", 0.5, true)]
    public async Task Label_model_inside_multi(string answer, double expected, bool parseError)
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, Completion(answer)));
        var result = await TestJson.Grade(LabelMulti, "Thank you", services: Services(server));
        Assert.Equal(expected, result.Reward, 12);
        Assert.Equal(parseError, result.Errors.ModelGraderParseError);
        Assert.True(result.ModelGraderTokenUsagePerModel.ContainsKey("judge-1"));
        using var body = JsonDocument.Parse(Assert.Single(server.Requests).Body);
        var schema = body.RootElement.GetProperty("response_format").GetProperty("json_schema").GetProperty("schema");
        Assert.Equal(3, schema.GetProperty("properties").GetProperty("result").GetProperty("enum").GetArrayLength());
    }

    [Fact]
    public async Task Cosine_uses_the_embeddings_endpoint()
    {
        await using var server = new LocalHttpServer((req, _) => new ServerReply(200,
            """{"object":"list","data":[{"index":1,"embedding":[1,0,0]},{"index":0,"embedding":[1,1,0]}],"model":"embed-1"}"""));
        var grader = """{"type":"text_similarity","name":"c","input":"{{ sample.output_text }}","reference":"ref","evaluation_metric":"cosine"}""";
        var result = await TestJson.Grade(grader, "out", services: Services(server));
        Assert.Equal(Math.Sqrt(0.5), result.Reward, 6);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/embeddings", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("embed-1", body.RootElement.GetProperty("model").GetString());
    }

    public void Dispose() => _http.Dispose();
}
