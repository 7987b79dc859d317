using System.Text.Json;
using RftFunctions.Graders.Endpoint;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Tests;

public sealed class EndpointGraderTests : IDisposable
{
    private readonly HttpClient _http = new();

    private GraderServices Services => new()
    {
        Endpoints = new EndpointGraderClient(_http, new EndpointRetryOptions { BaseDelay = TimeSpan.FromMilliseconds(10) }),
    };

    private static string Grader(string url, string extra = "") =>
        $$"""{"type":"endpoint","name":"remote","url":"{{url}}score","headers":{"X-Api-Key":"secret"}{{extra}}}""";

    [Fact]
    public async Task Success_posts_sample_item_and_trace_id_with_headers()
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, """{"score": 0.8}"""));
        var result = await TestJson.Grade(Grader(server.BaseUrl, ""","pass_threshold":0.5"""), "hello", """{"q":1}""", Services);
        Assert.Equal(0.8, result.Reward);
        Assert.True(result.Metadata.Passed);
        var request = Assert.Single(server.Requests);
        Assert.Equal("/score", request.Path);
        Assert.Equal("secret", request.Headers["X-Api-Key"]);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("hello", body.RootElement.GetProperty("sample").GetProperty("output_text").GetString());
        Assert.Equal(1, body.RootElement.GetProperty("item").GetProperty("q").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("trace_id").GetString()));
    }

    [Fact]
    public async Task Server_errors_are_retried_until_success()
    {
        await using var server = new LocalHttpServer((_, i) => i < 2 ? new ServerReply(503, "busy") : new ServerReply(200, """{"score": 1}"""));
        var result = await TestJson.Grade(Grader(server.BaseUrl), "x", services: Services);
        Assert.Equal(1, result.Reward);
        Assert.False(result.Errors.Any);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Persistent_server_errors_give_up_after_three_retries()
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(500, "down"));
        var result = await TestJson.Grade(Grader(server.BaseUrl), "x", services: Services);
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.UnresponsiveRewardError);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(400, """{"error":"bad"}"""));
        var result = await TestJson.Grade(Grader(server.BaseUrl), "x", services: Services);
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.OtherError);
        Assert.False(result.Errors.UnresponsiveRewardError);
        Assert.Single(server.Requests);
        Assert.Contains(result.Errors.Details!, d => d.Contains("400", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Timeouts_are_retried_then_reported_as_unresponsive()
    {
        await using var server = new LocalHttpServer((_, i) => i < 1
            ? new ServerReply(200, """{"score": 0.3}""", TimeSpan.FromSeconds(20))
            : new ServerReply(200, """{"score": 0.6}"""));
        var result = await TestJson.Grade(Grader(server.BaseUrl, ""","timeout":1.5"""), "x", services: Services);
        Assert.Equal(0.6, result.Reward);
        Assert.Equal(2, server.Requests.Count);

        await using var slow = new LocalHttpServer((_, _) => new ServerReply(200, """{"score": 0.3}""", TimeSpan.FromSeconds(20)));
        var failed = await TestJson.Grade(Grader(slow.BaseUrl, ""","timeout":0.2"""), "x", services: Services);
        Assert.True(failed.Errors.UnresponsiveRewardError);
        Assert.Equal(0, failed.Reward);
        Assert.Equal(4, slow.Requests.Count);
    }

    [Theory]
    [InlineData("""{"points": 1}""")]
    [InlineData("""{"score": "high"}""")]
    [InlineData("not json")]
    public async Task Answers_without_a_numeric_score_are_other_errors(string body)
    {
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, body));
        var result = await TestJson.Grade(Grader(server.BaseUrl), "x", services: Services);
        Assert.True(result.Errors.OtherError);
        Assert.Single(server.Requests);
    }

    public void Dispose() => _http.Dispose();
}

public class RateGateTests
{
    [Fact]
    public void Requests_are_spaced_one_interval_apart_without_bursts()
    {
        var gate = new RateGate();
        const long perSecond = 1000; // ticks per second in this test
        // 4 requests per second = one per 250 ticks; three arrive together at t = 0.
        Assert.Equal(TimeSpan.Zero, gate.Reserve(4, 0, perSecond));
        Assert.Equal(TimeSpan.FromSeconds(0.25), gate.Reserve(4, 0, perSecond));
        Assert.Equal(TimeSpan.FromSeconds(0.5), gate.Reserve(4, 0, perSecond));
        // A request long after the schedule goes at once, and idle time does not bank a burst.
        Assert.Equal(TimeSpan.Zero, gate.Reserve(4, 5000, perSecond));
        Assert.Equal(TimeSpan.FromSeconds(0.25), gate.Reserve(4, 5000, perSecond));
    }
}
