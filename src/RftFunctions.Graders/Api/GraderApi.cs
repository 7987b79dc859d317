using System.Text.Json;
using System.Text.Json.Serialization;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Templates;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Graders.Api;

/// <summary>The body of <c>POST /fine_tuning/alpha/graders/run</c>.</summary>
public sealed record GraderRunRequest
{
    /// <summary>The grader config.</summary>
    [JsonPropertyName("grader")] public required JsonElement Grader { get; init; }

    /// <summary>The model output to grade; output_json is filled when it is valid JSON.</summary>
    [JsonPropertyName("model_sample")] public required string ModelSample { get; init; }

    /// <summary>The dataset item (the <c>item</c> namespace); optional.</summary>
    [JsonPropertyName("item")] public JsonElement? Item { get; init; }

    /// <summary>Our addition: tool calls the sample made (the <c>sample.output_tools</c> array), which OpenAI's run API cannot take.</summary>
    [JsonPropertyName("output_tools")] public JsonElement? OutputTools { get; init; }
}

/// <summary>
/// The library calls behind OpenAI's grader endpoints. <see cref="Validate(JsonElement)"/> returns the grader as it will
/// be used or throws <see cref="GraderValidationException"/> listing every problem; <see cref="RunAsync"/> validates,
/// grades one sample and returns OpenAI's run result shape.
/// </summary>
public sealed class GraderApi(GraderServices services)
{
    /// <summary><c>/graders/validate</c>: the normalised config (OpenAI answers <c>{"grader": ...}</c>).</summary>
    public static GraderConfig Validate(JsonElement grader) => GraderConfigJson.Parse(grader);

    /// <summary><c>/graders/validate</c> response body: <c>{"grader": normalised config}</c>.</summary>
    public static string ValidateResponseJson(JsonElement grader) =>
        "{\"grader\":" + GraderConfigJson.Serialize(Validate(grader)) + "}";

    /// <summary><c>/graders/run</c>. Throws <see cref="GraderValidationException"/> for an invalid grader only.</summary>
    public async Task<GraderResult> RunAsync(GraderRunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var config = GraderConfigJson.Parse(request.Grader);
        var sample = GradingSample.Create(request.ModelSample, outputTools: request.OutputTools);
        var context = GradingContext.Create(sample, request.Item);
        return await GraderCompiler.Compile(config).GradeAsync(context, services, cancellationToken).ConfigureAwait(false);
    }
}
