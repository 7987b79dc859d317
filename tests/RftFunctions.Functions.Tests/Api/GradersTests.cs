using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

public sealed class GradersTests(StorageFixture storage)
{
    private const string Grader = """{"type":"string_check","name":"gene","input":"{{ sample.output_text }}","reference":"{{ item.reference_answer }}","operation":"eq"}""";

    [Fact]
    public async Task Validate_returns_the_grader_and_run_grades_one_sample()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        var validated = await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{Grader}}}"""));
        Assert.Equal("string_check", validated.GetProperty("grader").GetProperty("type").GetString());
        Assert.Equal("gene", validated.GetProperty("grader").GetProperty("name").GetString());

        var hit = await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run",
            $$$"""{"grader":{{{Grader}}},"model_sample":"BRCA1","item":{"reference_answer":"BRCA1"}}"""));
        Assert.Equal(1.0, hit.GetProperty("reward").GetDouble());
        Assert.Equal("gene", hit.GetProperty("metadata").GetProperty("name").GetString());
        var miss = await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run",
            $$$"""{"grader":{{{Grader}}},"model_sample":"TP53","item":{"reference_answer":"BRCA1"}}"""));
        Assert.Equal(0.0, miss.GetProperty("reward").GetDouble());
    }

    [Fact]
    public async Task Bad_grader_requests_get_400_naming_the_field()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        var invalid = await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate",
            """{"grader":{"type":"string_check","name":"g","input":"x","reference":"y","operation":"contains"}}"""), 400);
        Assert.StartsWith("grader", invalid.GetProperty("param").GetString(), StringComparison.Ordinal);
        Assert.Contains("operation", invalid.GetProperty("message").GetString(), StringComparison.Ordinal);
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", "{}"), 400, "grader");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", """{"grader":"string_check"}"""), 400, "grader");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", $$"""{"grader":{{Grader}}}"""), 400, "model_sample");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", $$"""{"grader":{{Grader}},"model_sample":3}"""), 400, "model_sample");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", $$"""{"grader":{{Grader}},"model_sample":"x","item":[1]}"""), 400, "item");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", "{\"grader\":"), 400);
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", "[]"), 400);
        await ApiAssert.ErrorAsync(await client.Post("v1/fine_tuning/alpha/graders/run", new StringContent($$"""{"grader":{{Grader}},"model_sample":"x"}""")), 415);
        await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{Grader}}}"""));
    }
}
