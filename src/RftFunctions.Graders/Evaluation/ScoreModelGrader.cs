using System.Globalization;
using System.Text.Json;
using RftFunctions.Graders.Config;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// score_model: asks the judge for <c>{"steps": [...], "result": number}</c>, clips the result to the range (default
/// [0, 1]). A refusal is model_grader_refusal_error, an answer without a numeric result model_grader_parse_error, a
/// failed call model_grader_server_error; each scores 0.
/// </summary>
internal sealed class ScoreModelGrader : CompiledGrader
{
    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {"type":"object","properties":{"steps":{"type":"array","items":{"type":"object","properties":{"description":{"type":"string"},"conclusion":{"type":"string"}},"required":["description","conclusion"],"additionalProperties":false}},"result":{"type":"number"}},"required":["steps","result"],"additionalProperties":false}
        """).RootElement.Clone();

    private readonly ScoreModelGraderConfig _config;
    private readonly IReadOnlyList<JudgePrompt.CompiledMessage> _messages;
    private readonly double _min;
    private readonly double _max;
    private readonly string _instruction;

    public ScoreModelGrader(ScoreModelGraderConfig config) : base(config)
    {
        _config = config;
        _messages = JudgePrompt.Compile(config.Input);
        (_min, _max) = config.Range is [var lo, var hi] ? (lo, hi) : (0.0, 1.0);
        _instruction = string.Create(CultureInfo.InvariantCulture,
            $"Answer only with a JSON object {{\"steps\": [{{\"description\": string, \"conclusion\": string}}, ...], \"result\": number}} where result is a score between {_min} and {_max}.");
    }

    protected override double? PassThreshold => _config.PassThreshold;

    protected override async Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (!JudgePrompt.TryRender(_messages, context, _instruction, out var messages, out var missing))
        {
            MissingVariable(result, missing, "input");
            return;
        }
        var response = await JudgePrompt.CallAsync(services.ChatModel, JudgePrompt.Request(_config.Model, messages, _config.SamplingParams, Schema), result, ct)
            .ConfigureAwait(false);
        if (response is null || !JudgePrompt.Accept(response, _config.Model, result)) return;
        if (JudgePrompt.ReadResultNumber(response.Content) is not { } score || !double.IsFinite(score))
        {
            result.Errors.ModelGraderParseError = true;
            result.Errors.AddDetail($"the judge's answer has no numeric result: {Truncate(response.Content)}");
            return;
        }
        result.Reward = Math.Clamp(score, _min, _max);
    }

    private static string Truncate(string? s) => s is null ? "(empty)" : s.Length <= 300 ? s : s[..300] + "...";
}
