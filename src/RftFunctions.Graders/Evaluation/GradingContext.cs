using System.Text.Json;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Evaluation;

/// <summary>One sample to grade with the item it answers.</summary>
/// <param name="Sample">The model output.</param>
/// <param name="Item">The dataset row (the <c>item</c> namespace); an empty object when there is none.</param>
/// <param name="TraceId">Correlation id sent to endpoint graders.</param>
public sealed record GradingContext(GradingSample Sample, JsonElement Item, string TraceId)
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    /// <summary>A context with a fresh trace id; a missing item becomes <c>{}</c>.</summary>
    public static GradingContext Create(GradingSample sample, JsonElement? item = null, string? traceId = null) =>
        new(sample, item is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } i ? i : EmptyObject,
            traceId ?? Guid.NewGuid().ToString("N"));
}
