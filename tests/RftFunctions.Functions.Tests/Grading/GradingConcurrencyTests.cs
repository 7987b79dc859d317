using System.Text.Json;
using RftFunctions.Functions.Grading;
using RftFunctions.Graders.Config;
using Xunit;

namespace RftFunctions.Functions.Tests.Grading;

/// <summary>Endpoint calls of a batch run concurrently, held to the operator's limit.</summary>
public sealed class GradingConcurrencyTests
{
    [Fact]
    public async Task Endpoint_calls_run_concurrently_up_to_the_configured_limit()
    {
        using var server = await GradingServer.StartAsync();
        using var services = new ProjectGraderServices(
            new GradingOptions { Endpoints = new EndpointEgressOptions { AllowedNetworks = ["127.0.0.0/8"], MaxConcurrency = 3 } },
            new JudgeDirectory(new GradingOptions()));
        var config = GraderConfigJson.Parse(JsonSerializer.SerializeToElement(new { type = "endpoint", name = "slow", url = server.BaseUrl + "/slow" }));
        var contexts = Enumerable.Range(0, 9).Select(i => RftFunctions.Graders.Evaluation.GradingContext.Create(
            RftFunctions.Graders.Templates.GradingSample.Create($"s{i}"), null, $"trace{i}")).ToList();
        var batch = new RftFunctions.Graders.Batch.BatchGrader(RftFunctions.Graders.Evaluation.GraderCompiler.Compile(config),
            services.For("p", RftFunctions.Graders.Evaluation.GraderServices.None), new RftFunctions.Graders.Batch.BatchGradingOptions { MaxConcurrency = 9 });
        var results = await batch.GradeAsync(contexts, TestContext.Current.CancellationToken);
        Assert.All(results, r => Assert.Equal(1, r.Reward));
        var inFlight = server.Requests.Select(r => r.GetProperty("in_flight").GetInt32()).ToList();
        Assert.Equal(9, inFlight.Count);
        Assert.InRange(inFlight.Max(), 2, 3); // concurrent (more than one at once), never more than the limit
    }
}
