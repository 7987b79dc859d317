using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Tests;

public class TemplateTests
{
    private const string Item = """{"a":{"b":["first","second"],"n":3,"flag":true,"obj":{"k":"v"}},"answer":"Paris","with space":"ok"}""";

    [Theory]
    [InlineData("{{ item.a.b[0] }}", "first")]
    [InlineData("{{item.a.b[1]}}", "second")]
    [InlineData("{{   item.answer   }}", "Paris")]
    [InlineData("Answer: {{ item.answer }}!", "Answer: Paris!")]
    [InlineData("{{ item.a.n }}", "3")]
    [InlineData("{{ item.a.flag }}", "true")]
    [InlineData("{{ item.a.obj }}", """{"k":"v"}""")]
    [InlineData("{{ item[\"with space\"] }}", "ok")]
    [InlineData("{{ sample.output_text }}", """{"city":"Rome","list":[1,2]}""")]
    [InlineData("{{ sample.output_json.city }}", "Rome")]
    [InlineData("{{ sample.output_json.list[1] }}", "2")]
    [InlineData("{{ sample.output_tools }}", "[]")]
    [InlineData("{{ sample.choices }}", "[]")]
    [InlineData("no variables", "no variables")]
    [InlineData("{{ item.answer }} vs {{ sample.output_json.city }}", "Paris vs Rome")]
    public void Renders_item_and_sample_variables(string template, string expected)
    {
        var sample = GradingSample.FromOutputText("""{"city":"Rome","list":[1,2]}""");
        Assert.True(Template.Parse(template).TryRender(sample, TestJson.Parse(Item), out var rendered, out var missing));
        Assert.Null(missing);
        Assert.Equal(expected, rendered);
    }

    [Theory]
    [InlineData("{{ item.nope }}", "item.nope")]
    [InlineData("{{ item.a.b[2] }}", "item.a.b[2]")]
    [InlineData("{{ item.answer.deeper }}", "item.answer.deeper")]
    [InlineData("x {{ sample.output_json.city }}", "sample.output_json.city")]
    public void Missing_variables_are_named(string template, string variable)
    {
        var sample = GradingSample.FromOutputText("plain text, not json");
        Assert.False(Template.Parse(template).TryRender(sample, TestJson.Parse(Item), out _, out var missing));
        Assert.Equal(variable, missing);
    }

    [Fact]
    public void Output_tools_are_visible_to_templates()
    {
        var tools = TestJson.Parse("""[{"type":"function","function":{"name":"lookup","arguments":"{\"q\":1}"}}]""");
        var sample = GradingSample.Create("text", outputTools: tools);
        Assert.True(Template.Parse("{{ sample.output_tools[0].function.name }}").TryRender(sample, TestJson.Parse("{}"), out var r, out _));
        Assert.Equal("lookup", r);
    }

    [Theory]
    [InlineData("```json\n{\"city\":\"Rome\"}\n```", true)]
    [InlineData("  {\"city\":\"Rome\"}  ", true)]
    [InlineData("42", false)]
    [InlineData("{not json}", false)]
    [InlineData("```\nplain\n```", false)]
    public void Output_json_is_filled_for_json_objects_even_in_a_code_fence(string output, bool parsed)
    {
        var sample = GradingSample.Create(output, outputJsonRequired: true);
        Assert.Equal(parsed, sample.OutputJson is not null);
        Assert.Equal(!parsed, sample.HasParseError);
    }

    [Theory]
    [InlineData("{{ }}")]
    [InlineData("{{ other.x }}")]
    [InlineData("{{ sample.nothing }}")]
    [InlineData("{{ item.a[x] }}")]
    [InlineData("{{ item.a")]
    public void Malformed_templates_do_not_parse(string template) =>
        Assert.Throws<TemplateParseException>(() => Template.Parse(template));
}
