using RftFunctions.Graders.Formulas;

namespace RftFunctions.Graders.Tests;

public class FormulaTests
{
    private static readonly Dictionary<string, double> Vars = new() { ["a"] = 0.5, ["b"] = 2, ["acc_1"] = 1 };

    [Theory]
    [InlineData("1 + 2 * 3", 7)]
    [InlineData("(1 + 2) * 3", 9)]
    [InlineData("2 ^ 3 ^ 2", 512)]
    [InlineData("-2 ^ 2", -4)]
    [InlineData("2 ^ -1", 0.5)]
    [InlineData("--3", 3)]
    [InlineData("10 - 4 - 3", 3)]
    [InlineData("12 / 3 / 2", 2)]
    [InlineData("0.7 * a + 0.3 * b", 0.95)]
    [InlineData("min(a, b, acc_1)", 0.5)]
    [InlineData("max(a, b)", 2)]
    [InlineData("abs(-a)", 0.5)]
    [InlineData("floor(2.7) + ceil(2.1)", 5)]
    [InlineData("exp(0) + sqrt(16) + log(1)", 5)]
    [InlineData("1e-1 * 10", 1)]
    [InlineData(" a*b ", 1)]
    public void Evaluates_with_documented_precedence(string text, double expected) =>
        Assert.Equal(expected, Formula.Parse(text).Evaluate(Vars), 12);

    [Theory]
    [InlineData("1 / 0", double.PositiveInfinity)]
    [InlineData("-1 / 0", double.NegativeInfinity)]
    [InlineData("0 / 0", double.NaN)]
    [InlineData("sqrt(-1)", double.NaN)]
    [InlineData("log(0)", double.NegativeInfinity)]
    public void Division_by_zero_and_domain_errors_follow_ieee(string text, double expected) =>
        Assert.Equal(expected, Formula.Parse(text).Evaluate(Vars));

    [Theory]
    [InlineData("")]
    [InlineData("1 +")]
    [InlineData("(1 + 2")]
    [InlineData("1 2")]
    [InlineData("sin(1)")]
    [InlineData("abs(1, 2)")]
    [InlineData("max()")]
    [InlineData("a $ b")]
    [InlineData("1..2")]
    public void Bad_formulas_do_not_parse(string text) =>
        Assert.Throws<FormulaParseException>(() => Formula.Parse(text));

    [Fact]
    public void Variables_are_collected() =>
        Assert.Equal(["a", "b"], Formula.Parse("max(a, 1) * b + a").Variables.Order().ToArray());
}
