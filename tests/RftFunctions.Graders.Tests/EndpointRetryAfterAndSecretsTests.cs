using RftFunctions.Graders.Endpoint;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Tests;

/// <summary>Endpoint graders honour Retry-After within a cap, and resolve operator secrets only on the wire.</summary>
public sealed class EndpointRetryAfterAndSecretsTests : IDisposable
{
    private readonly HttpClient _http = new();

    private static string Grader(string url, string headers = """{"X-Key":"plain"}""") =>
        $$"""{"type":"endpoint","name":"remote","url":"{{url}}score","headers":{{headers}}}""";

    // The backoff is an hour, so only Retry-After can make the retry come in time; the token bounds a failure.
    private GraderServices Services(TimeSpan maxRetryAfter, EndpointSecrets? secrets = null) => new()
    {
        Endpoints = new EndpointGraderClient(_http, new EndpointRetryOptions { BaseDelay = TimeSpan.FromHours(1), MaxRetryAfter = maxRetryAfter }, secrets),
    };

    private static CancellationToken Bounded()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(90));
        return cts.Token;
    }

    private static async Task<GraderResult> GradeAsync(string grader, GraderServices services) =>
        await GraderCompiler.Compile(Config.GraderConfigJson.Parse(System.Text.Json.JsonDocument.Parse(grader).RootElement))
            .GradeAsync(GradingContext.Create(Templates.GradingSample.Create("x"), null), services, Bounded());

    [Fact]
    public async Task A_429_with_Retry_After_is_retried_after_the_servers_delay_not_the_backoff()
    {
        await using var server = new LocalHttpServer((_, i) => i == 0
            ? new ServerReply(429, "slow down", Headers: new Dictionary<string, string> { ["Retry-After"] = "0" })
            : new ServerReply(200, """{"score": 0.25}"""));
        var result = await GradeAsync(Grader(server.BaseUrl), Services(TimeSpan.FromSeconds(10)));
        Assert.Equal(0.25, result.Reward);
        Assert.Equal(2, result.Metadata.Attempts);
    }

    [Fact]
    public async Task A_Retry_After_beyond_the_cap_waits_only_the_cap()
    {
        await using var server = new LocalHttpServer((_, i) => i == 0
            ? new ServerReply(503, "maintenance", Headers: new Dictionary<string, string> { ["Retry-After"] = "86400" })
            : new ServerReply(200, """{"score": 1}"""));
        var result = await GradeAsync(Grader(server.BaseUrl), Services(TimeSpan.Zero));
        Assert.Equal(1, result.Reward);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task Secrets_are_resolved_on_the_wire_and_scrubbed_from_details()
    {
        const string secret = "sk-operator-very-secret";
        var secrets = new EndpointSecrets(new Dictionary<string, EndpointSecret> { ["KEY"] = new(secret, []) });
        // The endpoint echoes the header back in an error, as a careless or hostile one might.
        await using var server = new LocalHttpServer((r, _) => new ServerReply(400, "bad key " + r.Headers["Authorization"]));
        var result = await GradeAsync(Grader(server.BaseUrl, """{"Authorization":"Bearer {{ secrets.KEY }}"}"""), Services(TimeSpan.Zero, secrets));
        Assert.Equal("Bearer " + secret, Assert.Single(server.Requests).Headers["Authorization"]);
        Assert.True(result.Errors.OtherError);
        Assert.DoesNotContain(secret, result.ToJson(), StringComparison.Ordinal);
        Assert.Contains(result.Errors.Details!, d => d.Contains("[secret]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secret_that_is_not_configured_or_not_allowed_for_the_host_is_never_sent()
    {
        var secrets = new EndpointSecrets(new Dictionary<string, EndpointSecret> { ["KEY"] = new("v", ["grader.example.com"]) });
        await using var server = new LocalHttpServer((_, _) => new ServerReply(200, """{"score": 1}"""));
        var unknown = await GradeAsync(Grader(server.BaseUrl, """{"X":"{{ secrets.OTHER }}"}"""), Services(TimeSpan.Zero, secrets));
        var wrongHost = await GradeAsync(Grader(server.BaseUrl, """{"X":"{{ secrets.KEY }}"}"""), Services(TimeSpan.Zero, secrets));
        Assert.Contains(unknown.Errors.Details!, d => d.Contains("not configured", StringComparison.Ordinal));
        Assert.Contains(wrongHost.Errors.Details!, d => d.Contains("may not be sent", StringComparison.Ordinal));
        Assert.Empty(server.Requests);
    }

    public void Dispose() => _http.Dispose();
}
