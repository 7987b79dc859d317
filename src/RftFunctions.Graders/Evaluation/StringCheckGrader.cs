using RftFunctions.Graders.Config;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Evaluation;

/// <summary>string_check: eq / ne exact (ordinal), like = input contains reference, ilike = case-insensitive contains.</summary>
internal sealed class StringCheckGrader(StringCheckGraderConfig config) : CompiledGrader(config)
{
    private readonly Template _input = Template.Parse(config.Input);
    private readonly Template _reference = Template.Parse(config.Reference);

    protected override Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (!_input.TryRender(context.Sample, context.Item, out var input, out var missing))
            MissingVariable(result, missing, "input");
        else if (!_reference.TryRender(context.Sample, context.Item, out var reference, out missing))
            MissingVariable(result, missing, "reference");
        else
            result.Reward = Check(config.Operation, input, reference) ? 1 : 0;
        return Task.CompletedTask;
    }

    internal static bool Check(string operation, string input, string reference) => operation switch
    {
        "eq" => string.Equals(input, reference, StringComparison.Ordinal),
        "ne" => !string.Equals(input, reference, StringComparison.Ordinal),
        "like" => input.Contains(reference, StringComparison.Ordinal),
        "ilike" => input.Contains(reference, StringComparison.OrdinalIgnoreCase),
        _ => throw new InvalidOperationException($"unknown string_check operation '{operation}'"),
    };
}
