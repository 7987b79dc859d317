using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Batch;

/// <summary>Options of a batch grading run.</summary>
public sealed record BatchGradingOptions
{
    /// <summary>Most samples graded at once (default: 2 per CPU core; judge and endpoint graders mostly wait).</summary>
    public int MaxConcurrency { get; init; } = Environment.ProcessorCount * 2;
}

/// <summary>
/// Grades many samples with one grader: bounded concurrency, cancellation, and statistics per grader (the top grader
/// and every sub-grader of a multi) that the training metrics report.
/// </summary>
public sealed class BatchGrader(CompiledGrader grader, GraderServices services, BatchGradingOptions? options = null)
{
    private readonly BatchGradingOptions _options = options ?? new BatchGradingOptions();

    /// <summary>Statistics collected over every call of this instance.</summary>
    public GraderStatistics Statistics { get; } = new();

    /// <summary>Grades every context; results are in input order. Throws only OperationCanceledException.</summary>
    public async Task<IReadOnlyList<GraderResult>> GradeAsync(IReadOnlyList<GradingContext> contexts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        var results = new GraderResult[contexts.Count];
        await Parallel.ForAsync(0, contexts.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxConcurrency), CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var result = await grader.GradeAsync(contexts[i], services, ct).ConfigureAwait(false);
                Statistics.Record(result);
                results[i] = result;
            }).ConfigureAwait(false);
        return results;
    }
}
