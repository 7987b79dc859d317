using System.Text.Json;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Tests;

/// <summary>Small helpers to build graders and contexts from JSON text.</summary>
internal static class TestJson
{
    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static CompiledGrader Grader(string json) => GraderCompiler.Compile(GraderConfigJson.Parse(json));

    public static GradingContext Context(string output, string item = "{}", bool requireJson = false, bool truncated = false) =>
        GradingContext.Create(GradingSample.Create(output, outputJsonRequired: requireJson, truncated: truncated), Parse(item));

    public static Task<GraderResult> Grade(string graderJson, string output, string item = "{}", GraderServices? services = null) =>
        Grader(graderJson).GradeAsync(Context(output, item), services ?? GraderServices.None, TestContext.Current.CancellationToken);
}
