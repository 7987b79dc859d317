using System.Text.Json;
using RftFunctions.Functions.Orchestrations;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>What the grading activity tells the monitors about the grader: which parts compare with the item's
/// reference, which the multi's formula weighs, and the judge prompts a sample could echo.</summary>
public sealed class MonitorSamplesTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    // The demo's shape: the output is the ranked list alone; a format check sits beside it as a diagnostic.
    private static readonly JsonElement Demo = Json("""
        {"type":"multi","name":"gene_ranking","calculate_output":"rank","graders":{
          "rank":{"type":"ranked_list","name":"rank","input":"{{ sample.output_text }}","reference":"{{ item.reference_answer }}"},
          "explained":{"type":"string_check","name":"explained","input":"{{ sample.output_text }}","reference":" | ","operation":"like"}}}
        """);

    [Fact]
    public void Only_parts_that_compare_with_the_items_reference_measure_agreement()
    {
        Assert.Equal(["rank"], MonitorSamples.ReferenceParts(Demo)!);
        Assert.Null(MonitorSamples.ReferenceParts(Json("""{"type":"string_check","name":"s","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""")));
        Assert.Empty(MonitorSamples.ReferenceParts(Json("""{"type":"python","name":"p","source":"def grade(s, i):\n    return 1\n"}"""))!);
    }

    [Fact]
    public void Sub_graders_the_formula_leaves_out_are_diagnostics()
    {
        Assert.Equal(["rank"], MonitorSamples.WeightedParts(Demo)!);
        var both = Json("""{"type":"multi","name":"m","calculate_output":"0.5 * sim + hit_rate","graders":{"sim":{},"hit":{},"hit_rate":{}}}""");
        Assert.Equal(["hit_rate", "sim"], MonitorSamples.WeightedParts(both)!.Order(StringComparer.Ordinal));
        Assert.Null(MonitorSamples.WeightedParts(Json("""{"type":"string_check"}""")));
    }

    [Fact]
    public void Judge_prompts_are_collected_from_any_depth()
    {
        var judge = Json("""
            {"type":"multi","name":"m","calculate_output":"j","graders":{"j":{"type":"score_model","name":"j","model":"x",
              "input":[{"role":"system","content":"You are a strict grader of answers."},{"role":"user","content":"Answer: {{ sample.output_text }}"}]}}}
            """);
        Assert.Equal(["You are a strict grader of answers.", "Answer: {{ sample.output_text }}"], MonitorSamples.Templates(judge));
    }
}
