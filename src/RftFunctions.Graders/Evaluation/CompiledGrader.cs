using System.Diagnostics;
using RftFunctions.Graders.Config;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// A grader ready to grade: templates and formulas parsed once. <see cref="GradeAsync"/> never throws for a bad sample,
/// a missing variable or a failing service; every such problem is a zero reward with an error flag. Only cancellation
/// escapes (as <see cref="OperationCanceledException"/>).
/// </summary>
public abstract class CompiledGrader
{
    /// <summary>Wraps a validated config.</summary>
    protected CompiledGrader(GraderConfig config) => Config = config;

    /// <summary>The config this grader was built from.</summary>
    public GraderConfig Config { get; }

    /// <summary>The pass threshold, for graders that have one.</summary>
    protected virtual double? PassThreshold => null;

    /// <summary>Grades one sample.</summary>
    public async Task<GraderResult> GradeAsync(GradingContext context, GraderServices services, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var result = GraderResult.Zero(Config.Name, Config.Type);
        try
        {
            if (context.Sample.HasParseError)
            {
                result.Errors.SampleParseError = true;
                result.Errors.AddDetail("the sample is not valid JSON but the job requires a response_format");
            }
            else if (context.Sample.Truncated)
            {
                result.Errors.TruncatedObservationError = true;
                result.Errors.AddDetail("the sample was truncated at the token limit");
            }
            else
            {
                await GradeCoreAsync(context, services, result, cancellationToken).ConfigureAwait(false);
                if (!double.IsFinite(result.Reward))
                {
                    result.Errors.OtherError = true;
                    result.Errors.AddDetail($"the grader produced a non-finite reward ({result.Reward}); reward set to 0");
                    result.Reward = 0;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // The last line of defence: a grader bug is a zero reward with a reason, not a failed training step.
            result.Reward = 0;
            result.Errors.OtherError = true;
            result.Errors.AddDetail($"{e.GetType().Name}: {e.Message}");
        }
        if (PassThreshold is { } threshold) result.Metadata.Passed = result.Reward >= threshold && !result.Errors.Any;
        result.Metadata.ExecutionTime = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return result;
    }

    /// <summary>Fills <paramref name="result"/>: reward, scores, errors. May throw; the caller turns that into other_error.</summary>
    protected abstract Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct);

    /// <summary>Records a missing template variable: reward 0 and invalid_variable_error.</summary>
    protected static void MissingVariable(GraderResult result, string? variable, string field)
    {
        result.Reward = 0;
        result.Errors.InvalidVariableError = true;
        result.Errors.AddDetail($"{field}: variable '{variable}' is not present in the item or sample");
    }
}
