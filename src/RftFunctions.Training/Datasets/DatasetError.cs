namespace RftFunctions.Training.Datasets;

/// <summary>One problem in a dataset file, pointing at the line and field so the user can fix it.</summary>
/// <param name="Line">1-based line number; 0 for a problem with the whole file.</param>
/// <param name="Field">JSON path of the offending field (e.g. <c>messages[2].role</c>), or null.</param>
/// <param name="Code">A stable machine-readable code (e.g. <c>invalid_json</c>, <c>last_message_not_user</c>).</param>
/// <param name="Message">What is wrong, in words.</param>
public sealed record DatasetError(int Line, string? Field, string Code, string Message)
{
    /// <inheritdoc />
    public override string ToString() =>
        (Line > 0 ? $"line {Line}" : "file") + (Field is null ? "" : $", {Field}") + $": {Message}";
}

/// <summary>The outcome of reading a dataset: the examples read and every problem found (reading goes on past errors).</summary>
/// <param name="Examples">Valid examples in file order.</param>
/// <param name="Errors">Problems, in file order; empty when the file is valid.</param>
public sealed record DatasetReadResult(IReadOnlyList<RftExample> Examples, IReadOnlyList<DatasetError> Errors)
{
    /// <summary>True when the file has no problems and at least one example.</summary>
    public bool IsValid => Errors.Count == 0 && Examples.Count > 0;
}

/// <summary>A dataset that cannot be used; the message lists the first problems with their lines.</summary>
public sealed class InvalidDatasetException(string source, IReadOnlyList<DatasetError> errors)
    : Exception($"{source} has {errors.Count} problem(s): " + string.Join("; ", errors.Take(5)) + (errors.Count > 5 ? "; ..." : ""))
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<DatasetError> Errors { get; } = errors;
}
