using RftFunctions.Graders.Config;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Graders.Tests;

public class ValidationTests
{
    [Theory]
    [InlineData("""{"type":"string_check","name":"s","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""")]
    [InlineData("""{"type":"text_similarity","name":"t","input":"{{sample.output_text}}","reference":"{{item.ref}}","evaluation_metric":"rouge_l","pass_threshold":0.5}""")]
    [InlineData("""{"type":"score_model","name":"j","model":"gpt-4o-mini","input":[{"role":"user","content":"Grade {{sample.output_text}}"}],"range":[0,10],"sampling_params":{"temperature":0.2,"seed":1,"max_completions_tokens":100,"top_p":1,"reasoning_effort":"low"}}""")]
    [InlineData("""{"type":"python","name":"p","source":"def grade(sample, item):\n    return 1.0\n","image_tag":"2025-05-08"}""")]
    [InlineData("""{"type":"multi","name":"m","graders":{"a":{"type":"string_check","name":"a","input":"x","reference":"x","operation":"eq"},"b":{"type":"label_model","name":"b","model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"{{item.q}}"}],"type":"message"}],"labels":["good","bad"],"passing_labels":["good"]}},"calculate_output":"0.5 * a + 0.5 * b"}""")]
    [InlineData("""{"type":"endpoint","name":"e","url":"https://grader.example/score","headers":{"Authorization":"Bearer x"},"rate_limit":10,"pass_threshold":0.5}""")]
    [InlineData("""{"type":"ranked_list","name":"r","reference":"{{item.gene}}","decay":"exponential","decay_rate":0.5,"max_rank":10}""")]
    [InlineData("""{"name":"type-last","input":"a","reference":"b","operation":"ne","type":"string_check"}""")]
    public void Valid_openai_configs_parse_and_round_trip(string json)
    {
        Assert.Empty(GraderValidator.Validate(json));
        var config = GraderConfigJson.Parse(json);
        var again = GraderConfigJson.Parse(GraderConfigJson.Serialize(config));
        Assert.Equal(GraderConfigJson.Serialize(config), GraderConfigJson.Serialize(again));
        Assert.StartsWith("{\"type\":", GraderConfigJson.Serialize(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Multi_graders_deserialize_as_a_dictionary_keyed_by_name()
    {
        var config = (MultiGraderConfig)GraderConfigJson.Parse("""
            {"type":"multi","name":"m","calculate_output":"x + y","graders":{
              "x":{"type":"string_check","name":"x1","input":"a","reference":"a","operation":"eq"},
              "y":{"type":"text_similarity","name":"y1","input":"a","reference":"a","evaluation_metric":"bleu"}}}
            """);
        Assert.Equal(["x", "y"], config.Graders.Keys.ToArray());
        Assert.IsType<TextSimilarityGraderConfig>(config.Graders["y"]);
    }

    [Fact]
    public void Multi_graders_given_as_a_list_or_a_single_grader_are_keyed_by_name()
    {
        var list = (MultiGraderConfig)GraderConfigJson.Parse("""
            {"type":"multi","name":"m","calculate_output":"x + y","graders":[
              {"type":"string_check","name":"x","input":"a","reference":"a","operation":"eq"},
              {"type":"string_check","name":"y","input":"a","reference":"b","operation":"eq"}]}
            """);
        Assert.Equal(["x", "y"], list.Graders.Keys.ToArray());
        Assert.Contains("\"graders\":{\"x\":{", GraderConfigJson.Serialize(list), StringComparison.Ordinal);

        var single = (MultiGraderConfig)GraderConfigJson.Parse("""
            {"type":"multi","name":"m","calculate_output":"only * 2","graders":{"type":"string_check","name":"only","input":"a","reference":"a","operation":"eq"}}
            """);
        Assert.Equal("only", Assert.Single(single.Graders).Key);

        var errors = GraderValidator.Validate("""
            {"type":"multi","name":"m","calculate_output":"x","graders":[
              {"type":"string_check","name":"x","input":"a","reference":"a","operation":"eq"},
              {"type":"string_check","name":"x","input":"a","reference":"a","operation":"eq"},
              {"type":"string_check","input":"a","reference":"a","operation":"eq"}]}
            """);
        Assert.Contains(errors, e => e.Path == "$.graders[1]" && e.Message.Contains("duplicate", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "$.graders[2].name");
    }

    [Theory]
    [InlineData("""{"type":"nope","name":"a"}""", "$.type", "unknown grader type 'nope'")]
    [InlineData("""{"name":"a"}""", "$.type", "missing required field 'type'")]
    [InlineData("""{"type":"string_check","name":"a","input":"x","reference":"y"}""", "$.operation", "missing required field 'operation'")]
    [InlineData("""{"type":"string_check","name":"a","input":"x","reference":"y","operation":"contains"}""", "$.operation", "'contains' is not allowed")]
    [InlineData("""{"type":"string_check","name":"a","input":5,"reference":"y","operation":"eq"}""", "$.input", "must be a string")]
    [InlineData("""{"type":"string_check","name":"a","input":"x","reference":"y","operation":"eq","extra":1}""", "$.extra", "unknown field 'extra'")]
    [InlineData("""{"type":"string_check","name":"a","input":"{{ items.x }}","reference":"y","operation":"eq"}""", "$.input", "unknown namespace 'items'")]
    [InlineData("""{"type":"string_check","name":"a","input":"{{ item.x ","reference":"y","operation":"eq"}""", "$.input", "no closing")]
    [InlineData("""{"type":"text_similarity","name":"a","input":"x","reference":"y","evaluation_metric":"rouge_9"}""", "$.evaluation_metric", "'rouge_9' is not allowed")]
    [InlineData("""{"type":"label_model","name":"a","model":"m","input":[{"role":"user","content":"x"}],"labels":["a"],"passing_labels":["a"]}""", "$.type", "only allowed as a sub-grader of a multi")]
    [InlineData("""{"type":"score_model","name":"a","model":"m","input":[{"role":"robot","content":"x"}]}""", "$.input[0].role", "'robot' is not allowed")]
    [InlineData("""{"type":"score_model","name":"a","model":"m","input":[{"role":"user","content":"x"}],"range":[1,0]}""", "$.range", "min must be less than max")]
    [InlineData("""{"type":"score_model","name":"a","model":"m","input":[]}""", "$.input", "non-empty array")]
    [InlineData("""{"type":"python","name":"a","source":"def other(): pass"}""", "$.source", "must define a function grade")]
    [InlineData("""{"type":"endpoint","name":"a","url":"ftp://x"}""", "$.url", "not an absolute http(s) URL")]
    [InlineData("""{"type":"ranked_list","name":"a","reference":"x","decay":"cubic"}""", "$.decay", "'cubic' is not allowed")]
    public void Invalid_configs_report_the_problem_at_its_json_path(string json, string path, string message)
    {
        var errors = GraderValidator.Validate(json);
        Assert.Contains(errors, e => e.Path == path && e.Message.Contains(message, StringComparison.Ordinal));
        var ex = Assert.Throws<GraderValidationException>(() => GraderConfigJson.Parse(json));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Python_source_over_256_kB_is_rejected()
    {
        var source = "def grade(sample, item):\n    return 1.0\n#" + new string('x', 256 * 1024);
        var json = System.Text.Json.JsonSerializer.Serialize(new { type = "python", name = "p", source });
        var errors = GraderValidator.Validate(json);
        Assert.Contains(errors, e => e.Path == "$.source" && e.Message.Contains("limit is 262144", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_in_a_multi_is_reported_with_its_nested_path()
    {
        var errors = GraderValidator.Validate("""
            {"type":"multi","name":"m","calculate_output":"a + missing * (b",
             "graders":{
               "a":{"type":"string_check","name":"a","input":"x","reference":"y","operation":"bad"},
               "b":{"type":"multi","name":"inner","graders":{},"calculate_output":"1"},
               "my key":{"type":"text_similarity","name":"c","input":"x","reference":"y"}}}
            """);
        var paths = errors.Select(e => e.Path).ToList();
        Assert.Contains("$.graders.a.operation", paths);
        Assert.Contains(errors, e => e.Path == "$.graders.b.type" && e.Message.Contains("cannot contain another multi", StringComparison.Ordinal));
        Assert.Contains("$.graders['my key'].evaluation_metric", paths);
        Assert.Contains(errors, e => e.Path == "$.graders['my key']" && e.Message.Contains("identifier", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "$.calculate_output" && e.Message.Contains("does not parse", StringComparison.Ordinal));
    }

    [Fact]
    public void A_formula_naming_an_unknown_sub_grader_is_reported()
    {
        var errors = GraderValidator.Validate("""
            {"type":"multi","name":"m","calculate_output":"a + ghost",
             "graders":{"a":{"type":"string_check","name":"a","input":"x","reference":"y","operation":"eq"}}}
            """);
        var error = Assert.Single(errors);
        Assert.Equal("$.calculate_output", error.Path);
        Assert.Contains("'ghost'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_model_passing_labels_must_be_labels()
    {
        var errors = GraderValidator.Validate("""
            {"type":"multi","name":"m","calculate_output":"l",
             "graders":{"l":{"type":"label_model","name":"l","model":"m","input":[{"role":"user","content":"x"}],"labels":["a","b"],"passing_labels":["c"]}}}
            """);
        Assert.Contains(errors, e => e.Path == "$.graders.l.passing_labels[0]");
    }

    [Fact]
    public void Malformed_json_is_reported_at_the_root()
    {
        var error = Assert.Single(GraderValidator.Validate("{\"type\": "));
        Assert.Equal("$", error.Path);
    }
}
