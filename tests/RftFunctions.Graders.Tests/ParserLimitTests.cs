using RftFunctions.Graders.Formulas;
using RftFunctions.Graders.Templates;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Graders.Tests;

/// <summary>
/// User-written formulas and templates are bounded in length and nesting: input past a bound is a parse error naming
/// the bound, never a stack overflow that would end the host with every job on it.
/// </summary>
public class ParserLimitTests
{
    private static string Nested(int depth) => new string('(', depth) + "1" + new string(')', depth);

    [Fact]
    public void A_formula_nested_to_the_limit_parses()
    {
        Assert.Equal(1.0, Formula.Parse(Nested(Formula.MaxDepth - 1)).Evaluate(new Dictionary<string, double>()));
        Assert.Equal(-1.0, Formula.Parse(new string('-', Formula.MaxDepth - 2) + "-1").Evaluate(new Dictionary<string, double>()));
    }

    [Theory]
    [InlineData(65)]
    [InlineData(1000)]
    public void A_formula_nested_past_the_limit_is_refused(int depth)
    {
        var e = Assert.Throws<FormulaParseException>(() => Formula.Parse(Nested(depth)));
        Assert.Contains("deeper than 64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_signs_exponents_and_calls_are_refused_too()
    {
        Assert.Throws<FormulaParseException>(() => Formula.Parse(new string('-', 200) + "1"));
        Assert.Throws<FormulaParseException>(() => Formula.Parse(string.Concat(Enumerable.Repeat("2^", 200)) + "1"));
        Assert.Throws<FormulaParseException>(() => Formula.Parse(string.Concat(Enumerable.Repeat("abs(", 200)) + "1" + new string(')', 200)));
    }

    [Fact]
    public void A_formula_longer_than_the_limit_is_refused_before_parsing()
    {
        var text = string.Join("+", Enumerable.Repeat("a", Formula.MaxLength));
        var e = Assert.Throws<FormulaParseException>(() => Formula.Parse(text));
        Assert.Contains("limit is 4096", e.Message, StringComparison.Ordinal);
        // A long flat sum within the limit parses and evaluates (no recursion along the chain in the parser).
        Assert.Equal(2048, Formula.Parse(string.Join("+", Enumerable.Repeat("a", 2048))).Evaluate(new Dictionary<string, double> { ["a"] = 1 }));
    }

    [Fact]
    public void A_hundred_thousand_parentheses_through_the_validator_name_calculate_output()
    {
        var grader = """{"type":"multi","name":"m","graders":{"a":{"type":"string_check","name":"a","input":"x","reference":"x","operation":"eq"}},"calculate_output":" """
            + Nested(100_000) + "\"}";
        var errors = GraderValidator.Validate(grader);
        var error = Assert.Single(errors);
        Assert.Equal("$.calculate_output", error.Path);
    }

    [Fact]
    public void Templates_are_bounded_in_length_variables_and_path_steps()
    {
        Assert.Throws<TemplateParseException>(() => Template.Parse(new string('x', Template.MaxLength + 1)));
        Assert.Throws<TemplateParseException>(() => Template.Parse(string.Concat(Enumerable.Repeat("{{ item.a }}", Template.MaxVariables + 1))));
        Assert.Throws<TemplateParseException>(() => Template.Parse("{{ item" + string.Concat(Enumerable.Repeat(".a", TemplatePath.MaxSegments + 1)) + " }}"));
        Assert.Throws<TemplateParseException>(() => Template.Parse("{{ item." + new string('a', TemplatePath.MaxLength) + " }}"));
        // At the bounds they parse.
        Assert.Equal(Template.MaxVariables, Template.Parse(string.Concat(Enumerable.Repeat("{{ item.a }}", Template.MaxVariables))).Variables.Count);
        Assert.NotNull(Template.Parse("{{ item" + string.Concat(Enumerable.Repeat(".a", TemplatePath.MaxSegments)) + " }}"));
    }

    [Fact]
    public void An_over_long_template_is_a_validation_error_naming_its_field()
    {
        var grader = """{"type":"string_check","name":"s","reference":"x","operation":"eq","input":" """ + new string('x', Template.MaxLength + 1) + "\"}";
        var error = Assert.Single(GraderValidator.Validate(grader));
        Assert.Equal("$.input", error.Path);
    }
}
