namespace RftFunctions.Graders.Tests;

public class MultiAndRankedListTests
{
    private static string Multi(string formula) => $$$$"""
        {"type":"multi","name":"combo","calculate_output":"{{{{formula}}}}","graders":{
          "exact":{"type":"string_check","name":"exact","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"},
          "contains":{"type":"string_check","name":"contains","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"ilike"},
          "sim":{"type":"text_similarity","name":"sim","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","evaluation_metric":"fuzzy_match"}}}
        """;

    [Theory]
    [InlineData("0.5 * exact + 0.5 * contains", "The answer is paris", 0.5)]
    [InlineData("max(exact, contains)", "paris", 1)]
    [InlineData("min(exact, contains)", "paris", 0)]
    [InlineData("exact + contains * 2 ^ 2", "paris", 4)]
    [InlineData("-(exact - 1)", "Paris", 0)]
    [InlineData("floor(sim * 10) / 10", "Pari", 0.8)]
    public async Task Multi_formula_combines_sub_rewards(string formula, string output, double expected)
    {
        var result = await TestJson.Grade(Multi(formula), output, """{"answer":"Paris"}""");
        Assert.Equal(expected, result.Reward, 12);
        Assert.Equal(["contains", "exact", "sim"], result.SubRewards.Keys.Order().ToArray());
        Assert.Equal(result.SubRewards, result.Metadata.Scores);
        Assert.False(result.Errors.Any);
    }

    [Theory]
    [InlineData("exact / contains")] // 0/0 for an output that matches neither
    [InlineData("log(exact)")]
    [InlineData("1 / exact")]
    public async Task Non_finite_formula_results_score_zero_with_other_error(string formula)
    {
        var result = await TestJson.Grade(Multi(formula), "London", """{"answer":"Paris"}""");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.OtherError);
        Assert.False(result.Errors.FormulaParseError);
    }

    [Fact]
    public async Task Formula_that_does_not_parse_flags_formula_parse_error_when_run_unvalidated()
    {
        var config = new Config.MultiGraderConfig
        {
            Name = "m",
            CalculateOutput = "a +",
            Graders = new Dictionary<string, Config.GraderConfig>
            {
                ["a"] = new Config.StringCheckGraderConfig { Name = "a", Input = "x", Reference = "x", Operation = "eq" },
            },
        };
        var result = await Evaluation.GraderCompiler.Compile(config).GradeAsync(TestJson.Context("x"), Evaluation.GraderServices.None,
            TestContext.Current.CancellationToken);
        Assert.True(result.Errors.FormulaParseError);
        Assert.Equal(0, result.Reward);
        Assert.Equal(1, result.SubRewards["a"]);
    }

    [Fact]
    public async Task Sub_grader_errors_are_merged_into_the_multi()
    {
        var result = await TestJson.Grade(Multi("exact + contains"), "Paris", """{"nothing":1}""");
        Assert.True(result.Errors.InvalidVariableError);
        Assert.Contains(result.Errors.Details!, d => d.StartsWith("exact: ", StringComparison.Ordinal));
        Assert.Equal(0, result.Reward);
    }

    private const string Ranked = """{"type":"ranked_list","name":"genes","reference":"{{ item.gene }}"}""";

    [Theory]
    [InlineData("1. BRCA1 - tumour suppressor\n2. TP53\n3. CFTR", 1.0, 1, 1, 1)]
    [InlineData("1. TP53\n2. CFTR\n3. brca1 (likely)", 1.0 / 3, 0, 1, 1)]
    [InlineData("Candidates:\n1) TP53\n2) CFTR\n3) MYH7\n4) LMNA\n5) SCN5A\n6) BRCA1", 1.0 / 6, 0, 0, 1)]
    [InlineData("1. TP53\n2. BRCA12\n3. CFTR", 0, 0, 0, 0)]
    [InlineData("""["TP53", "BRCA1"]""", 0.5, 0, 1, 1)]
    [InlineData("""Here you go: {"genes": ["BRCA1", "TP53"], "explanation": "..."}""", 1.0, 1, 1, 1)]
    [InlineData("""[{"gene": "TP53", "why": "x"}, {"gene": "BRCA1", "why": "y"}]""", 0.5, 0, 1, 1)]
    [InlineData("- TP53\n- TP53\n- BRCA1", 0.5, 0, 1, 1)] // duplicates are dropped before ranking
    [InlineData("", 0, 0, 0, 0)]
    [InlineData("Top candidates:\n1. **TP53**\n2. **BRCA1** - explains both findings", 0.5, 0, 1, 1)]
    [InlineData("BRCA1", 1.0, 1, 1, 1)]
    [InlineData("Most likely genes: TP53, CFTR; BRCA1.", 1.0 / 3, 0, 1, 1)]
    [InlineData("TP53\nBRCA1", 0.5, 0, 1, 1)]
    public async Task Ranked_list_scores_reciprocal_rank_and_reports_hits(string output, double reward, double hit1, double hit5, double hitAny)
    {
        var result = await TestJson.Grade(Ranked, output, """{"gene":"BRCA1"}""");
        Assert.Equal(reward, result.Reward, 12);
        Assert.Equal(hit1, result.SubRewards["hit@1"]);
        Assert.Equal(hit5, result.SubRewards["hit@5"]);
        Assert.Equal(hitAny, result.SubRewards["hit@any"]);
        Assert.False(result.Errors.Any);
    }

    [Theory]
    [InlineData("exponential", 0.25)] // 0.5^(3-1)
    [InlineData("linear", 0.8)] // 1 - (3-1)/10
    [InlineData("reciprocal", 1.0 / 3)]
    public async Task Ranked_list_decay_is_configurable(string decay, double expected)
    {
        var grader = $$$"""{"type":"ranked_list","name":"g","reference":"{{ item.gene }}","decay":"{{{decay}}}","max_rank":10}""";
        var result = await TestJson.Grade(grader, "1. A\n2. B\n3. BRCA1", """{"gene":"BRCA1"}""");
        Assert.Equal(expected, result.Reward, 12);
    }

    [Fact]
    public async Task Ranked_list_ignores_entries_beyond_max_rank()
    {
        var grader = """{"type":"ranked_list","name":"g","reference":"{{ item.gene }}","max_rank":2}""";
        var result = await TestJson.Grade(grader, "1. A\n2. B\n3. BRCA1", """{"gene":"BRCA1"}""");
        Assert.Equal(0, result.Reward);
        Assert.Equal(0, result.SubRewards["hit@any"]);
    }

    [Fact]
    public async Task Ranked_list_accepts_several_reference_answers_and_json_field()
    {
        var grader = """{"type":"ranked_list","name":"g","reference":"{{ item.genes }}","extract":"json_field","field":"result.ranked"}""";
        var result = await TestJson.Grade(grader, """{"result":{"ranked":["X","MYH7","BRCA1"]}}""", """{"genes":["BRCA1","MYH7"]}""");
        Assert.Equal(0.5, result.Reward, 12);
    }
}
