using System.Net;
using System.Text.Json;
using RftFunctions.Functions.Grading;
using RftFunctions.Graders.Config;
using Xunit;

namespace RftFunctions.Functions.Tests.Grading;

/// <summary>
/// The endpoint egress policy: which addresses it refuses by default, that operators can allow networks and hosts,
/// and that the check runs on the address actually connected to (a name resolving to loopback at call time is
/// refused even though no validation ran) and redirects are not followed.
/// </summary>
public sealed class EgressPolicyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.5.6.7")]
    [InlineData("169.254.169.254")]
    [InlineData("10.0.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::ffff:192.168.1.1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    public void Non_public_addresses_are_refused_by_default(string address) =>
        Assert.NotNull(new EgressPolicy(new EndpointEgressOptions()).Problem(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    public void Public_addresses_are_allowed(string address) =>
        Assert.Null(new EgressPolicy(new EndpointEgressOptions()).Problem(IPAddress.Parse(address)));

    [Fact]
    public void Operators_allow_networks_explicitly()
    {
        var policy = new EgressPolicy(new EndpointEgressOptions { AllowedNetworks = ["10.1.0.0/16", "127.0.0.0/8"] });
        Assert.Null(policy.Problem(IPAddress.Parse("10.1.2.3")));
        Assert.Null(policy.Problem(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.Null(policy.Problem(IPAddress.Parse("127.0.0.1")));
        Assert.NotNull(policy.Problem(IPAddress.Parse("10.2.0.1")));
        Assert.NotNull(policy.Problem(IPAddress.Parse("169.254.169.254")));
        Assert.Throws<InvalidOperationException>(() => new EgressPolicy(new EndpointEgressOptions { AllowedNetworks = ["not-a-network"] }));
    }

    [Fact]
    public async Task A_host_allow_list_refuses_every_other_host()
    {
        var policy = new EgressPolicy(new EndpointEgressOptions { AllowedHosts = ["grader.example.com", "*.graders.example.org"] });
        Assert.Contains("not on this deployment's list", await policy.ProblemAsync(new Uri("http://93.184.215.14/x"), Ct), StringComparison.Ordinal);
        Assert.Contains("not on this deployment's list", await policy.ProblemAsync(new Uri("https://evil.example.com/x"), Ct), StringComparison.Ordinal);
        Assert.Contains("'ftp' URLs", await policy.ProblemAsync(new Uri("ftp://grader.example.com/x"), Ct), StringComparison.Ordinal);
    }

    private static ProjectGraderServices Services(params string[] allowedNetworks) =>
        new(new GradingOptions { Endpoints = new EndpointEgressOptions { AllowedNetworks = [.. allowedNetworks], MaxRetries = 1 } },
            new JudgeDirectory(new GradingOptions()));

    private static async Task<RftFunctions.Graders.Evaluation.GraderResult> GradeAsync(ProjectGraderServices services, string url)
    {
        var config = (EndpointGraderConfig)GraderConfigJson.Parse(JsonSerializer.SerializeToElement(new { type = "endpoint", name = "e", url }));
        var grader = RftFunctions.Graders.Evaluation.GraderCompiler.Compile(config);
        var context = RftFunctions.Graders.Evaluation.GradingContext.Create(RftFunctions.Graders.Templates.GradingSample.Create("hello"), null);
        return await grader.GradeAsync(context, services.For("p", RftFunctions.Graders.Evaluation.GraderServices.None), Ct);
    }

    [Fact]
    public async Task The_address_connected_to_is_checked_so_a_name_resolving_to_loopback_is_refused_at_call_time()
    {
        using var server = await GradingServer.StartAsync();
        using var services = Services();
        // "localhost" stands in for a name that passed validation and resolves to loopback when called (DNS rebinding).
        var port = new Uri(server.BaseUrl).Port;
        foreach (var url in new[] { $"http://localhost:{port}/grade", $"{server.BaseUrl}/grade" })
        {
            var result = await GradeAsync(services, url);
            Assert.True(result.Errors.OtherError, url);
            Assert.Contains(result.Errors.Details!, d => d.Contains("loopback", StringComparison.Ordinal));
            Assert.Equal(1, result.Metadata.Attempts); // policy, not weather: no retries
        }
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Allowing_loopback_reaches_the_server_and_a_redirect_to_the_metadata_address_is_not_followed()
    {
        using var server = await GradingServer.StartAsync();
        using var services = Services("127.0.0.0/8");
        var ok = await GradeAsync(services, $"{server.BaseUrl}/redirect");
        Assert.True(ok.Errors.OtherError);
        Assert.Contains(ok.Errors.Details!, d => d.Contains("do not follow redirects", StringComparison.Ordinal));
        Assert.Single(server.Requests);
        // Even allowed networks do not open the metadata address.
        Assert.NotNull(services.Egress.Problem(IPAddress.Parse("169.254.169.254")));
    }
}
