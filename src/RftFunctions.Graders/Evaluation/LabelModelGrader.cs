using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Graders.Config;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// label_model: asks the judge for <c>{"steps": [...], "result": label}</c> with the labels as an enum; 1 when the label
/// is a passing label, else 0. A label outside the list is model_grader_parse_error.
/// </summary>
internal sealed class LabelModelGrader : CompiledGrader
{
    private readonly LabelModelGraderConfig _config;
    private readonly IReadOnlyList<JudgePrompt.CompiledMessage> _messages;
    private readonly JsonElement _schema;
    private readonly string _instruction;

    public LabelModelGrader(LabelModelGraderConfig config) : base(config)
    {
        _config = config;
        _messages = JudgePrompt.Compile(config.Input);
        var labels = new JsonArray([.. config.Labels.Select(l => (JsonNode)JsonValue.Create(l))]);
        _schema = JsonSerializer.SerializeToElement(new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["steps"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
                ["result"] = new JsonObject { ["type"] = "string", ["enum"] = labels },
            },
            ["required"] = new JsonArray("steps", "result"),
            ["additionalProperties"] = false,
        });
        _instruction = "Answer only with a JSON object {\"steps\": [string, ...], \"result\": label} where label is exactly one of: " +
                       string.Join(", ", config.Labels.Select(l => JsonSerializer.Serialize(l))) + ".";
    }

    protected override async Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (!JudgePrompt.TryRender(_messages, context, _instruction, out var messages, out var missing))
        {
            MissingVariable(result, missing, "input");
            return;
        }
        var response = await JudgePrompt.CallAsync(services.ChatModel, JudgePrompt.Request(_config.Model, messages, null, _schema), result, ct)
            .ConfigureAwait(false);
        if (response is null || !JudgePrompt.Accept(response, _config.Model, result)) return;
        var label = ReadLabel(response.Content);
        if (label is null || !_config.Labels.Contains(label))
        {
            result.Errors.ModelGraderParseError = true;
            result.Errors.AddDetail($"the judge's answer is not one of the labels: {response.Content}");
            return;
        }
        result.Reward = _config.PassingLabels.Contains(label) ? 1 : 0;
    }

    private string? ReadLabel(string? content)
    {
        if (JudgePrompt.ExtractJsonObject(content) is { } obj)
            return obj.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()?.Trim() : null;
        // A bare label (small in-process judges often answer just the word).
        var bare = content?.Trim().Trim('"', '.', '\'');
        return bare is not null && _config.Labels.Contains(bare) ? bare : null;
    }
}
