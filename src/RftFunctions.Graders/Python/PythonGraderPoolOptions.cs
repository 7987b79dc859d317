namespace RftFunctions.Graders.Python;

/// <summary>Settings of the python grader worker pool.</summary>
public sealed record PythonGraderPoolOptions
{
    /// <summary>Number of long-lived worker processes (default: one per CPU core).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>Per-call limit; a call that runs longer kills its worker (default 120 s, OpenAI's 2 minutes).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Address-space limit of each worker (RLIMIT_AS; default 2 GiB, OpenAI's 2 GB).</summary>
    public long MemoryLimitBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest file a grader may write (RLIMIT_FSIZE; default 64 MiB).</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The python interpreter.</summary>
    public string PythonExecutable { get; init; } = "python3";

    /// <summary>
    /// Run workers in a fresh network namespace (<c>unshare --user --map-root-user --net</c>) when the OS allows it,
    /// so they have no network interface but loopback. Default true.
    /// </summary>
    public bool IsolateNetwork { get; init; } = true;

    /// <summary>How long a worker may take to start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>How a python grade call ended.</summary>
public enum PythonGradeStatus
{
    /// <summary>grade() returned a finite number.</summary>
    Ok,

    /// <summary>grade() raised, or returned something that is not a finite number; details hold the traceback.</summary>
    RuntimeError,

    /// <summary>The worker timed out, crashed or could not start; the call's worker was replaced.</summary>
    ServerError,
}

/// <summary>The outcome of one python grade call.</summary>
/// <param name="Status">How the call ended.</param>
/// <param name="Score">The score (0 unless <see cref="PythonGradeStatus.Ok"/>).</param>
/// <param name="Details">Traceback or failure description.</param>
/// <param name="ServerErrorType"><c>timeout</c>, <c>crash</c> or <c>start_failed</c> for server errors.</param>
public sealed record PythonGradeOutcome(PythonGradeStatus Status, double Score, string? Details = null, string? ServerErrorType = null);
