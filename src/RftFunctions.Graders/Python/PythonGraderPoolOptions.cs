namespace RftFunctions.Graders.Python;

/// <summary>Settings of the python grader worker pool.</summary>
public sealed record PythonGraderPoolOptions
{
    /// <summary>Most worker processes alive at once, over all projects (default: one per CPU core).</summary>
    public int Workers { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Most calls one project runs at once (0, the default: <see cref="Workers"/> − 1, at least 1), so one project's slow
    /// graders always leave a worker for the others. Waiting projects are served round-robin.
    /// </summary>
    public int MaxConcurrentCallsPerProject { get; init; }

    /// <summary>Per-call limit; a call that runs longer kills its worker (default 120 s, OpenAI's 2 minutes).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Address-space limit of each worker (RLIMIT_AS; default 2 GiB, OpenAI's 2 GB).</summary>
    public long MemoryLimitBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Largest file a grader may write (RLIMIT_FSIZE; default 64 MiB).</summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Size of the sandbox's private <c>/tmp</c> (a tmpfs in memory; default 64 MiB).</summary>
    public long TmpBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most processes and threads inside one worker's sandbox, the worker included (RLIMIT_NPROC; default 32).</summary>
    public int MaxProcesses { get; init; } = 32;

    /// <summary>
    /// CPU seconds one worker process may use in its life (RLIMIT_CPU; default 600). The pool recycles a worker once it
    /// has used half, so the limit only ends a worker whose grader escapes the wall-clock timeout (forked children).
    /// </summary>
    public int CpuSecondsPerWorker { get; init; } = 600;

    /// <summary>Calls one worker serves before it is recycled (default 10,000).</summary>
    public int MaxCallsPerWorker { get; init; } = 10_000;

    /// <summary>How the workers are isolated (default: bubblewrap, required).</summary>
    public PythonSandboxMode Sandbox { get; init; } = PythonSandboxMode.Bubblewrap;

    /// <summary>The bubblewrap executable (default <c>/usr/bin/bwrap</c>, Debian's package <c>bubblewrap</c>).</summary>
    public string BubblewrapExecutable { get; init; } = "/usr/bin/bwrap";

    /// <summary>The interpreter inside the sandbox: a path under <c>/usr</c>, the only host folder the sandbox sees
    /// (default Debian's <c>/usr/bin/python3</c>).</summary>
    public string SandboxPython { get; init; } = "/usr/bin/python3";

    /// <summary>
    /// The host uid bubblewrap runs as when the host runs as root (default 65534). The sandbox's uid maps to it: were it
    /// root, the kernel would not apply RLIMIT_NPROC (root is exempt), so a fork bomb would be unbounded.
    /// </summary>
    public int SandboxHostUid { get; init; } = 65534;

    /// <summary>The python interpreter in <see cref="PythonSandboxMode.UnsafeNone"/> mode.</summary>
    public string PythonExecutable { get; init; } = "python3";

    /// <summary>Receives a warning each time a grader runs without a sandbox (<see cref="PythonSandboxMode.UnsafeNone"/>).</summary>
    public Action<string>? UnsafeWarning { get; init; }

    /// <summary>How long a worker may take to start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The per-project limit in force.</summary>
    public int EffectiveCallsPerProject => MaxConcurrentCallsPerProject > 0
        ? Math.Min(MaxConcurrentCallsPerProject, Workers)
        : Math.Max(1, Workers - 1);
}

/// <summary>How python grader workers are isolated from the host.</summary>
public enum PythonSandboxMode
{
    /// <summary>Each worker runs in a bubblewrap sandbox; python graders are refused when it cannot be set up.</summary>
    Bubblewrap,

    /// <summary>No isolation at all (an operator's explicit choice; every use is logged as a warning).</summary>
    UnsafeNone,
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
/// <param name="ServerErrorType"><c>timeout</c>, <c>crash</c>, <c>start_failed</c> or <c>sandbox_unavailable</c> for server errors.</param>
public sealed record PythonGradeOutcome(PythonGradeStatus Status, double Score, string? Details = null, string? ServerErrorType = null);
