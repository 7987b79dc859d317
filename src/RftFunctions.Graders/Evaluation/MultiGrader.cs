using RftFunctions.Graders.Config;
using RftFunctions.Graders.Formulas;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// multi: grades every sub-grader concurrently, then evaluates calculate_output with their rewards as variables.
/// sub_rewards and metadata.scores hold each sub-grader's reward; errors and token usage are the union of theirs.
/// A sub-grader that failed contributes 0. A non-finite formula result (x/0, 0/0, log(0), sqrt(-1)) is reward 0 with
/// other_error; a formula that does not parse is reward 0 with formula_parse_error.
/// </summary>
internal sealed class MultiGrader : CompiledGrader
{
    private readonly KeyValuePair<string, CompiledGrader>[] _graders;
    private readonly Formula? _formula;
    private readonly string? _formulaError;

    public MultiGrader(MultiGraderConfig config) : base(config)
    {
        _graders = [.. config.Graders.Select(kv => KeyValuePair.Create(kv.Key, GraderCompiler.Compile(kv.Value)))];
        try
        {
            _formula = Formula.Parse(config.CalculateOutput);
        }
        catch (FormulaParseException e)
        {
            _formulaError = e.Message;
        }
    }

    protected override async Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        var subResults = await Task.WhenAll(_graders.Select(g => g.Value.GradeAsync(context, services, ct))).ConfigureAwait(false);
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < _graders.Length; i++)
        {
            var (name, sub) = (_graders[i].Key, subResults[i]);
            values[name] = sub.Reward;
            result.SubResults[name] = sub;
            result.SubRewards[name] = sub.Reward;
            result.Metadata.Scores[name] = sub.Reward;
            result.Errors.Merge(sub.Errors, name);
            foreach (var (model, usage) in sub.ModelGraderTokenUsagePerModel) result.AddUsage(model, usage);
            result.Metadata.SampledModelName ??= sub.Metadata.SampledModelName;
        }
        if (_formula is null)
        {
            result.Errors.FormulaParseError = true;
            result.Errors.AddDetail($"calculate_output does not parse: {_formulaError}");
            return;
        }
        var reward = _formula.Evaluate(values);
        if (!double.IsFinite(reward))
        {
            result.Errors.OtherError = true;
            result.Errors.AddDetail($"calculate_output evaluated to {reward} (division by zero or a function outside its domain); reward set to 0");
            return;
        }
        result.Reward = reward;
    }
}
