namespace RftFunctions.Bench;

/// <summary>
/// One benchmark subcommand (<c>model</c>, <c>graders</c>, <c>durable</c>, ...). Implementations are found by
/// reflection, so adding a benchmark is adding one class. A run prints progress freely but must end by writing ONE
/// JSON object on its last line: ratios measured within the same run, never hard-coded.
/// </summary>
public interface IBenchmark
{
    /// <summary>The subcommand name.</summary>
    string Name { get; }

    /// <summary>One line saying what it measures.</summary>
    string Description { get; }

    /// <summary>Runs the benchmark; returns the process exit code.</summary>
    Task<int> RunAsync(string[] args);
}
