using RftFunctions.Graders.Metrics;

namespace RftFunctions.Graders.Tests;

public class StringAndTextGraderTests
{
    private static string Check(string op) =>
        $$$"""{"type":"string_check","name":"s","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"{{{op}}}"}""";

    [Theory]
    [InlineData("eq", "Paris", "Paris", 1)]
    [InlineData("eq", "paris", "Paris", 0)]
    [InlineData("ne", "Rome", "Paris", 1)]
    [InlineData("ne", "Paris", "Paris", 0)]
    [InlineData("like", "It is Paris.", "Paris", 1)]
    [InlineData("like", "It is paris.", "Paris", 0)]
    [InlineData("ilike", "It is PARIS.", "Paris", 1)]
    [InlineData("ilike", "It is Rome.", "Paris", 0)]
    public async Task String_check_operations(string op, string output, string answer, double expected)
    {
        var result = await TestJson.Grade(Check(op), output, $$"""{"answer":"{{answer}}"}""");
        Assert.Equal(expected, result.Reward);
        Assert.False(result.Errors.Any);
        Assert.Equal("string_check", result.Metadata.Type);
    }

    [Fact]
    public async Task Missing_variable_scores_zero_with_invalid_variable_error()
    {
        var result = await TestJson.Grade(Check("ne"), "anything", """{"other":"x"}""");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.InvalidVariableError);
        Assert.Contains(result.Errors.Details!, d => d.Contains("item.answer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sample_that_must_be_json_but_is_not_gets_sample_parse_error()
    {
        var grader = TestJson.Grader(Check("ne"));
        var result = await grader.GradeAsync(TestJson.Context("not json", """{"answer":"x"}""", requireJson: true),
            Evaluation.GraderServices.None, TestContext.Current.CancellationToken);
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.SampleParseError);
    }

    [Fact]
    public async Task Truncated_sample_gets_truncated_observation_error()
    {
        var grader = TestJson.Grader(Check("ne"));
        var result = await grader.GradeAsync(TestJson.Context("cut o", """{"answer":"x"}""", truncated: true),
            Evaluation.GraderServices.None, TestContext.Current.CancellationToken);
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.TruncatedObservationError);
    }

    [Fact]
    public async Task Output_json_fields_are_graded_when_the_sample_is_json()
    {
        var grader = """{"type":"string_check","name":"s","input":"{{ sample.output_json.city }}","reference":"{{ item.answer }}","operation":"eq"}""";
        var result = await TestJson.Grade(grader, """{"city":"Paris"}""", """{"answer":"Paris"}""");
        Assert.Equal(1, result.Reward);
    }

    [Theory]
    [InlineData("fuzzy_match")]
    [InlineData("bleu")]
    [InlineData("gleu")]
    [InlineData("meteor")]
    [InlineData("rouge_1")]
    [InlineData("rouge_3")]
    [InlineData("rouge_5")]
    [InlineData("rouge_l")]
    public async Task Text_similarity_grader_uses_the_named_metric(string metric)
    {
        const string output = "the quick brown fox jumps over the lazy dog today";
        const string reference = "the quick brown fox jumped over a lazy dog";
        var grader = $$$"""{"type":"text_similarity","name":"t","input":"{{ sample.output_text }}","reference":"{{ item.ref }}","evaluation_metric":"{{{metric}}}","pass_threshold":0.3}""";
        var result = await TestJson.Grade(grader, output, $$"""{"ref":"{{reference}}"}""");
        var expected = metric switch
        {
            "fuzzy_match" => FuzzyMatch.Ratio(output, reference),
            "bleu" => Bleu.Sentence(output, reference),
            "gleu" => Gleu.Sentence(output, reference),
            "meteor" => Meteor.Sentence(output, reference),
            "rouge_l" => Rouge.L(output, reference),
            _ => Rouge.N(output, reference, metric[^1] - '0'),
        };
        Assert.Equal(expected, result.Reward, 12);
        Assert.InRange(result.Reward, 0, 1);
        Assert.Equal(result.Reward >= 0.3, result.Metadata.Passed);
    }

    [Fact]
    public async Task Cosine_without_an_embedding_provider_says_so()
    {
        var grader = """{"type":"text_similarity","name":"t","input":"a","reference":"b","evaluation_metric":"cosine"}""";
        var result = await TestJson.Grade(grader, "x");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.OtherError);
        Assert.Contains(result.Errors.Details!, d => d.Contains("embedding provider", StringComparison.Ordinal));
    }
}
