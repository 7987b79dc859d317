namespace RftFunctions.Graders.Validation;

/// <summary>One problem in a grader config: where (a JSON path such as <c>$.graders.accuracy.operation</c>) and what.</summary>
public sealed record GraderValidationError(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A grader config is invalid; <see cref="Errors"/> lists every problem found, not just the first.</summary>
public sealed class GraderValidationException(IReadOnlyList<GraderValidationError> errors)
    : Exception("invalid grader: " + string.Join("; ", errors))
{
    /// <summary>Every problem, each with its JSON path.</summary>
    public IReadOnlyList<GraderValidationError> Errors { get; } = errors;
}
