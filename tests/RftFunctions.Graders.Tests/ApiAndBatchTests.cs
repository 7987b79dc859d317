using System.Text.Json;
using RftFunctions.Graders.Api;
using RftFunctions.Graders.Batch;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Graders.Tests;

public class ApiAndBatchTests
{
    private static readonly string[] OpenAiErrorFlags =
    [
        "formula_parse_error", "sample_parse_error", "truncated_observation_error", "unresponsive_reward_error",
        "invalid_variable_error", "other_error", "python_grader_server_error", "python_grader_server_error_type",
        "python_grader_runtime_error", "python_grader_runtime_error_details", "model_grader_server_error",
        "model_grader_server_error_details", "model_grader_refusal_error", "model_grader_parse_error",
    ];

    [Fact]
    public async Task Run_returns_openai_result_shape_with_every_error_flag()
    {
        var api = new GraderApi(GraderServices.None);
        var result = await api.RunAsync(new GraderRunRequest
        {
            Grader = TestJson.Parse("""{"type":"multi","name":"m","calculate_output":"a","graders":{"a":{"type":"string_check","name":"a","input":"{{ sample.output_json.x }}","reference":"{{ item.y }}","operation":"eq"}}}"""),
            ModelSample = """{"x":"1"}""",
            Item = TestJson.Parse("""{"y":"1"}"""),
        }, TestContext.Current.CancellationToken);

        using var doc = JsonDocument.Parse(result.ToJson());
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("reward").GetDouble());
        Assert.Equal(1, root.GetProperty("sub_rewards").GetProperty("a").GetDouble());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("model_grader_token_usage_per_model").ValueKind);
        var metadata = root.GetProperty("metadata");
        Assert.Equal("m", metadata.GetProperty("name").GetString());
        Assert.Equal("multi", metadata.GetProperty("type").GetString());
        Assert.True(metadata.GetProperty("execution_time").GetDouble() >= 0);
        Assert.Equal(1, metadata.GetProperty("scores").GetProperty("a").GetDouble());
        Assert.Equal(JsonValueKind.Null, metadata.GetProperty("token_usage").ValueKind);
        Assert.Equal(JsonValueKind.Null, metadata.GetProperty("sampled_model_name").ValueKind);
        var errors = metadata.GetProperty("errors");
        foreach (var flag in OpenAiErrorFlags) Assert.True(errors.TryGetProperty(flag, out _), flag);
        Assert.False(errors.GetProperty("invalid_variable_error").GetBoolean());
    }

    [Fact]
    public async Task Run_without_item_flags_missing_item_variables()
    {
        var api = new GraderApi(GraderServices.None);
        var result = await api.RunAsync(new GraderRunRequest
        {
            Grader = TestJson.Parse("""{"type":"string_check","name":"s","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}"""),
            ModelSample = "x",
        }, TestContext.Current.CancellationToken);
        Assert.True(result.Errors.InvalidVariableError);
        Assert.Contains("\"invalid_variable_error\":true", result.ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_rejects_an_invalid_grader_with_every_problem()
    {
        var api = new GraderApi(GraderServices.None);
        var ex = await Assert.ThrowsAsync<GraderValidationException>(() => api.RunAsync(new GraderRunRequest
        {
            Grader = TestJson.Parse("""{"type":"string_check","input":1,"operation":"is"}"""),
            ModelSample = "x",
        }, TestContext.Current.CancellationToken));
        Assert.Equal(["$.input", "$.name", "$.operation", "$.reference"], ex.Errors.Select(e => e.Path).Order().ToArray());
    }

    [Fact]
    public void Validate_returns_the_normalised_grader()
    {
        var config = GraderApi.Validate(TestJson.Parse("""{"name":"s","type":"string_check","input":"a","reference":"b","operation":"like"}"""));
        Assert.Equal("""{"type":"string_check","input":"a","reference":"b","operation":"like","name":"s"}""", Config.GraderConfigJson.Serialize(config));
        Assert.Equal("""{"grader":{"type":"string_check","input":"a","reference":"b","operation":"like","name":"s"}}""",
            GraderApi.ValidateResponseJson(TestJson.Parse("""{"name":"s","type":"string_check","input":"a","reference":"b","operation":"like"}""")));
    }

    [Fact]
    public async Task Batch_grading_keeps_order_and_counts_errors_per_grader()
    {
        var grader = TestJson.Grader("""
            {"type":"multi","name":"m","calculate_output":"exact","graders":{
              "exact":{"type":"string_check","name":"exact","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}}}
            """);
        var contexts = Enumerable.Range(0, 50)
            .Select(i => TestJson.Context(i % 2 == 0 ? "yes" : "no", i % 10 == 9 ? "{}" : """{"answer":"yes"}"""))
            .ToList();
        var batch = new BatchGrader(grader, GraderServices.None, new BatchGradingOptions { MaxConcurrency = 3 });
        var results = await batch.GradeAsync(contexts, TestContext.Current.CancellationToken);
        Assert.Equal(50, results.Count);
        for (var i = 0; i < 50; i++) Assert.Equal(i % 2 == 0 ? 1 : 0, results[i].Reward);

        var stats = batch.Statistics.Snapshot();
        var top = stats.Single(s => s.Name == "m");
        Assert.Equal(50, top.Count);
        Assert.Equal(5, top.ErrorCounts["invalid_variable_error"]);
        Assert.Equal(5, top.InvalidVariableErrorCount);
        Assert.Equal(0, top.OtherErrorCount);
        Assert.Equal(0, top.SampleParseErrorCount);
        Assert.Equal(0.5, top.RewardMean, 12);
        var sub = stats.Single(s => s.Name == "m/exact");
        Assert.Equal("string_check", sub.Type);
        Assert.Equal(5, sub.ErroredCount);
        Assert.True(sub.LatencyMaxSeconds >= sub.LatencyMeanSeconds);
    }

    [Fact]
    public async Task Python_and_model_failures_count_as_other_errors_for_metrics()
    {
        var grader = TestJson.Grader("""{"type":"score_model","name":"j","model":"m","input":[{"role":"user","content":"{{ sample.output_text }}"}]}""");
        var batch = new BatchGrader(grader, GraderServices.None); // no judge configured: model_grader_server_error
        await batch.GradeAsync([TestJson.Context("a"), TestJson.Context("b")], TestContext.Current.CancellationToken);
        var counters = Assert.Single(batch.Statistics.Snapshot());
        Assert.Equal(2, counters.OtherErrorCount);
        Assert.Equal(2, counters.ErrorCounts["model_grader_server_error"]);
    }

    [Fact]
    public async Task Batch_grading_respects_the_concurrency_bound_and_cancellation()
    {
        var gate = new ConcurrencyProbe();
        var grader = TestJson.Grader("""{"type":"score_model","name":"j","model":"m","input":[{"role":"user","content":"{{ sample.output_text }}"}]}""");
        var services = new GraderServices { ChatModel = gate };
        var batch = new BatchGrader(grader, services, new BatchGradingOptions { MaxConcurrency = 2 });
        var contexts = Enumerable.Range(0, 8).Select(_ => TestJson.Context("x")).ToList();
        var results = await batch.GradeAsync(contexts, TestContext.Current.CancellationToken);
        Assert.All(results, r => Assert.Equal(0.5, r.Reward));
        Assert.Equal(2, gate.MaxSeen);

        using var cts = new CancellationTokenSource();
        gate.Block = true;
        var running = batch.GradeAsync(contexts, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    /// <summary>An in-process judge that records how many calls overlap (the app's own models plug in the same way).</summary>
    private sealed class ConcurrencyProbe : Models.IChatModelClient
    {
        private int _current;

        public int MaxSeen { get; private set; }

        public bool Block { get; set; }

        public async Task<Models.ChatModelResponse> CompleteAsync(Models.ChatModelRequest request, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _current);
            lock (this) MaxSeen = Math.Max(MaxSeen, now);
            try
            {
                await Task.Delay(Block ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(30), cancellationToken);
                return new Models.ChatModelResponse { Content = """{"steps":[],"result":0.5}""" };
            }
            finally
            {
                Interlocked.Decrement(ref _current);
            }
        }
    }
}
