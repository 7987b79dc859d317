using RftFunctions.Graders.Config;
using RftFunctions.Graders.Python;

namespace RftFunctions.Graders.Evaluation;

/// <summary>python: runs <c>grade(sample, item)</c> in the worker pool; see <see cref="PythonGraderPool"/>.</summary>
internal sealed class PythonGrader(PythonGraderConfig config) : CompiledGrader(config)
{
    private readonly PythonGraderSource _source = new(config.Source);

    protected override async Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (services.Python is not { } pool)
        {
            result.Errors.PythonGraderServerError = true;
            result.Errors.PythonGraderServerErrorType = "unavailable";
            result.Errors.AddDetail("python graders need a PythonGraderPool and none is configured");
            return;
        }
        var outcome = await pool.GradeAsync(services.Project ?? PythonGraderPool.DefaultProject, _source, context.Sample.ToJson(), context.Item, cancellationToken: ct).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case PythonGradeStatus.Ok:
                result.Reward = outcome.Score;
                break;
            case PythonGradeStatus.RuntimeError:
                result.Errors.PythonGraderRuntimeError = true;
                result.Errors.PythonGraderRuntimeErrorDetails = outcome.Details;
                break;
            default:
                result.Errors.PythonGraderServerError = true;
                result.Errors.PythonGraderServerErrorType = outcome.ServerErrorType;
                result.Errors.AddDetail(outcome.Details ?? "python worker failed");
                break;
        }
    }
}
