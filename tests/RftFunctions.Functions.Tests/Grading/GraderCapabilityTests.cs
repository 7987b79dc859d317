using System.Text.Json;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Grading;

/// <summary>
/// /graders/validate and /graders/run on a deployment with nothing configured under Rft:Grading: graders it cannot run
/// are refused with 400 and the field's path, and the default egress policy refuses loopback, link-local (metadata)
/// and private destinations.
/// </summary>
public sealed class GraderCapabilityTests(StorageFixture storage) : IAsyncLifetime
{
    private ApiServer _server = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ApiServer.StartAsync(storage);
        _client = _server.Client();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private Task<HttpResponseMessage> ValidateAsync(string grader) => _client.PostJson("v1/fine_tuning/alpha/graders/validate", "{\"grader\":" + grader + "}");

    private static string Endpoint(string url) => JsonSerializer.Serialize(new { type = "endpoint", name = "e", url });

    [Theory]
    [InlineData("http://127.0.0.1:8080/grade", "loopback")]
    [InlineData("http://localhost:8080/grade", "loopback")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "link-local")]
    [InlineData("http://10.20.30.40/grade", "private")]
    [InlineData("http://172.16.5.4/grade", "private")]
    [InlineData("http://192.168.1.10/grade", "private")]
    [InlineData("http://[::1]:8080/grade", "loopback")]
    [InlineData("http://[::ffff:127.0.0.1]/grade", "loopback")]
    [InlineData("http://[::ffff:169.254.169.254]/grade", "link-local")]
    [InlineData("http://[fe80::1]/grade", "link-local")]
    [InlineData("http://[fd12:3456::1]/grade", "private")]
    public async Task The_default_egress_policy_refuses_non_public_endpoints_at_validation(string url, string why)
    {
        var error = await ApiAssert.ErrorAsync(await ValidateAsync(Endpoint(url)), 400, "grader.url");
        Assert.Contains(why, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("unsupported_grader", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Run_refuses_what_validate_refuses()
    {
        var body = "{\"grader\":" + Endpoint("http://127.0.0.1:9/grade") + ",\"model_sample\":\"x\"}";
        await ApiAssert.ErrorAsync(await _client.PostJson("v1/fine_tuning/alpha/graders/run", body), 400, "grader.url");
    }

    [Fact]
    public async Task An_unknown_judge_model_is_refused_naming_the_field()
    {
        var grader = """{"type":"multi","name":"m","calculate_output":"s","graders":{"s":{"type":"score_model","name":"s","model":"gpt-4o-mini","input":[{"role":"user","content":"{{ sample.output_text }}"}]}}}""";
        var error = await ApiAssert.ErrorAsync(await ValidateAsync(grader), 400, "grader.graders.s.model");
        Assert.Contains("gpt-4o-mini", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cosine_without_an_embeddings_endpoint_is_refused_with_a_clear_message()
    {
        var grader = """{"type":"text_similarity","name":"c","input":"{{ sample.output_text }}","reference":"r","evaluation_metric":"cosine"}""";
        var error = await ApiAssert.ErrorAsync(await ValidateAsync(grader), 400, "grader.evaluation_metric");
        Assert.Contains("embeddings endpoint", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        // Every other metric still validates.
        await ApiAssert.OkAsync(await ValidateAsync(grader.Replace("cosine", "rouge_l", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_public_endpoint_validates()
    {
        var validated = await ApiAssert.OkAsync(await ValidateAsync(Endpoint("http://93.184.215.14/grade")));
        Assert.Equal("endpoint", validated.GetProperty("grader").GetProperty("type").GetString());
    }
}
