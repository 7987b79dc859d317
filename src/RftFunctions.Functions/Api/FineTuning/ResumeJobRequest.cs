using System.Text.Json;
using RftFunctions.Training.Config;

namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// The optional body of <c>POST /v1/fine_tuning/jobs/{id}/resume</c> (our extension; OpenAI's resume takes none):
/// <c>{"compute_budget":{"max_tokens":N,"max_wall_seconds":S}}</c> resumes under that budget instead of granting one
/// more allowance of the old one. Each problem is a 400 whose <c>param</c> names the field.
/// </summary>
public static class ResumeJobRequest
{
    private const string BudgetField = "compute_budget";

    /// <summary>The new budget in <paramref name="body"/>, or null when it names none.</summary>
    public static ComputeBudget? Parse(JsonElement body)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name != BudgetField)
                throw ApiException.BadRequest($"Unrecognized request argument supplied: {property.Name} (resume accepts only '{BudgetField}').", property.Name, "unknown_parameter");
        }
        if (!body.TryGetProperty(BudgetField, out var budget) || budget.ValueKind == JsonValueKind.Null) return null;
        if (budget.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest($"{BudgetField} must be an object with max_tokens and/or max_wall_seconds.", BudgetField, "invalid_type");
        long? maxTokens = null;
        double? maxSeconds = null;
        foreach (var property in budget.EnumerateObject())
        {
            var param = $"{BudgetField}.{property.Name}";
            var value = property.Value;
            switch (property.Name)
            {
                case "max_tokens" when value.ValueKind == JsonValueKind.Null:
                case "max_wall_seconds" when value.ValueKind == JsonValueKind.Null:
                    break;
                case "max_tokens":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var tokens) || tokens <= 0)
                        throw ApiException.BadRequest($"{param} must be a positive integer (trained tokens), got {value.GetRawText()}.", param, "invalid_value");
                    maxTokens = tokens;
                    break;
                case "max_wall_seconds":
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var seconds) || !(seconds > 0) || !double.IsFinite(seconds))
                        throw ApiException.BadRequest($"{param} must be a positive number of seconds, got {value.GetRawText()}.", param, "invalid_value");
                    maxSeconds = seconds;
                    break;
                default:
                    throw ApiException.BadRequest($"Unrecognized argument {param} (only max_tokens and max_wall_seconds are accepted).", param, "unknown_parameter");
            }
        }
        if (maxTokens is null && maxSeconds is null)
            throw ApiException.BadRequest($"{BudgetField} must set max_tokens or max_wall_seconds (omit {BudgetField} to resume under the job's own budget).", BudgetField, "invalid_value");
        return new ComputeBudget(maxTokens, maxSeconds);
    }
}
