using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace RftFunctions.Graders.Python;

/// <summary>
/// A pool of long-lived python3 workers running <c>grade(sample, item)</c>, each inside a bubblewrap sandbox (see
/// <see cref="PythonSandbox"/>) and each serving ONE project: a worker that served one project is never handed to
/// another (an idle worker of another project is killed to make room), so no grader can observe or change another
/// project's graders, samples or rewards. Calls are queued fairly across projects (<see cref="PythonGraderScheduler"/>).
/// A call that raises is a runtime error and the worker stays; a call that times out or kills its process is a server
/// error and the worker is replaced. Workers are recycled after <see cref="PythonGraderPoolOptions.MaxCallsPerWorker"/>
/// calls, after half their CPU budget, and whenever a call leaves processes running. When the sandbox cannot be set
/// up, every call fails with <c>sandbox_unavailable</c>: isolation never switches off silently. Thread-safe; dispose to
/// stop every worker.
/// </summary>
public sealed class PythonGraderPool : IAsyncDisposable
{
    /// <summary>The project of callers that name none (library users, tests).</summary>
    public const string DefaultProject = "default";

    private readonly PythonGraderPoolOptions _options;
    private readonly PythonGraderScheduler _scheduler;
    private readonly PythonSandbox _sandbox;
    private readonly object _gate = new();
    private readonly Dictionary<string, Stack<PythonWorker>> _idle = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<PythonWorker, byte> _live = new();
    private readonly string _workDir;
    private int _reserved; // live workers plus workers being started, under _gate
    private int _workersStarted;
    private bool _disposed;

    /// <summary>Creates the pool; workers start lazily on first use.</summary>
    public PythonGraderPool(PythonGraderPoolOptions? options = null)
    {
        _options = options ?? new PythonGraderPoolOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Workers, 1);
        _scheduler = new PythonGraderScheduler(_options.Workers, _options.EffectiveCallsPerProject);
        _workDir = Directory.CreateTempSubdirectory("rft-python-grader-").FullName;
        var scriptPath = Path.Combine(_workDir, "grader_worker.py");
        using (var resource = typeof(PythonGraderPool).Assembly.GetManifestResourceStream("RftFunctions.Graders.grader_worker.py")
                              ?? throw new InvalidOperationException("grader_worker.py is not embedded"))
        using (var file = File.Create(scriptPath))
            resource.CopyTo(file);
        if (!OperatingSystem.IsWindows())
        {
            // The sandbox binds the script read-only; bwrap, running as the unprivileged sandbox uid, must reach it.
            File.SetUnixFileMode(scriptPath, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.SetUnixFileMode(_workDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                           | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        _sandbox = new PythonSandbox(_options, scriptPath);
    }

    /// <summary>The options in force.</summary>
    public PythonGraderPoolOptions Options => _options;

    /// <summary>Whether python graders can run here and how they are isolated (probed once, on first use).</summary>
    public PythonSandboxStatus SandboxStatus => _sandbox.Status;

    /// <summary>True when workers run inside the sandbox, without network access.</summary>
    public bool NetworkIsolated => _sandbox.Status.Isolated;

    /// <summary>How many worker processes have been started so far (replacements included).</summary>
    public int WorkersStarted => Volatile.Read(ref _workersStarted);

    /// <summary>Calls holding a worker slot now (running, or starting their worker).</summary>
    public int RunningCalls => _scheduler.Busy;

    /// <summary>Worker processes alive now.</summary>
    public int LiveWorkers => _live.Count;

    /// <summary>Starts every worker now (for <see cref="DefaultProject"/>) instead of on first use.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        if (!_sandbox.Status.Usable) return;
        for (var i = 0; i < _options.Workers; i++)
        {
            lock (_gate)
            {
                if (_reserved >= _options.Workers) return;
                _reserved++;
            }
            var worker = await StartReservedWorkerAsync(DefaultProject, cancellationToken).ConfigureAwait(false);
            Park(worker);
        }
    }

    /// <summary>
    /// Runs <c>grade(sample, item)</c> for <see cref="DefaultProject"/>; see the overload that names the project.
    /// </summary>
    public Task<PythonGradeOutcome> GradeAsync(PythonGraderSource source, JsonElement sample, JsonElement item,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        GradeAsync(DefaultProject, source, sample, item, timeout, cancellationToken);

    /// <summary>
    /// Runs <c>grade(sample, item)</c> in one of <paramref name="project"/>'s workers. Never throws for grader problems
    /// (see <see cref="PythonGradeOutcome"/>); throws <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> fires (the worker is killed).
    /// </summary>
    public Task<PythonGradeOutcome> GradeAsync(string project, PythonGraderSource source, JsonElement sample, JsonElement item,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var limit = timeout ?? _options.CallTimeout;
        return RunAsync(project, limit, async (worker, ct) =>
        {
            var answer = await worker.CallAsync(source, sample, item, limit, ct).ConfigureAwait(false);
            if (answer.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
                return new PythonGradeOutcome(PythonGradeStatus.Ok, answer.GetProperty("score").GetDouble());
            var details = answer.TryGetProperty("error", out var err) ? err.GetString() : "grade() failed";
            return new PythonGradeOutcome(PythonGradeStatus.RuntimeError, 0, details);
        }, cancellationToken);
    }

    /// <summary>
    /// Compiles <paramref name="source"/> inside one of <paramref name="project"/>'s sandboxed workers without running
    /// it: <see cref="PythonGradeStatus.Ok"/> when it compiles, <see cref="PythonGradeStatus.RuntimeError"/> with the
    /// syntax error, or <see cref="PythonGradeStatus.ServerError"/> (e.g. <c>sandbox_unavailable</c>).
    /// </summary>
    public Task<PythonGradeOutcome> CheckSourceAsync(string project, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var limit = _options.CallTimeout < TimeSpan.FromSeconds(30) ? _options.CallTimeout : TimeSpan.FromSeconds(30);
        return RunAsync(project, limit, async (worker, ct) =>
        {
            var error = await worker.CheckAsync(source, limit, ct).ConfigureAwait(false);
            return error is null
                ? new PythonGradeOutcome(PythonGradeStatus.Ok, 0)
                : new PythonGradeOutcome(PythonGradeStatus.RuntimeError, 0, error);
        }, cancellationToken);
    }

    private async Task<PythonGradeOutcome> RunAsync(string project, TimeSpan limit,
        Func<PythonWorker, CancellationToken, Task<PythonGradeOutcome>> call, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(project);
        var status = _sandbox.Status;
        if (!status.Usable)
            return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0, $"python graders are disabled on this server: {status.Message}", "sandbox_unavailable");
        if (!status.Isolated)
            _options.UnsafeWarning?.Invoke($"python grader of project {project} runs WITHOUT a sandbox (Rft:PythonSandbox=unsafe-none)");

        using var lease = await _scheduler.AcquireAsync(project, cancellationToken).ConfigureAwait(false);
        PythonWorker? worker = null;
        try
        {
            try
            {
                worker = await RentAsync(project, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0, $"python worker could not start: {e.Message}", "start_failed");
            }

            PythonGradeOutcome outcome;
            try
            {
                outcome = await call(worker, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Retire(worker);
                worker = null;
                return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0,
                    $"grade() did not return within {limit.TotalSeconds:0.###} s; the worker was killed", "timeout");
            }
            catch (Exception e) when (e is IOException or JsonException or ObjectDisposedException or InvalidOperationException)
            {
                var exit = worker.ExitCode();
                var tail = worker.StderrTail();
                Retire(worker);
                worker = null;
                return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0,
                    $"the python worker died (exit code {exit?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}){(tail.Length > 0 ? ": " + tail : "")}",
                    "crash");
            }
            if (!Reusable(worker))
            {
                Retire(worker);
                worker = null;
            }
            return outcome;
        }
        catch (OperationCanceledException)
        {
            // A cancelled call may have left its worker mid-grade: do not reuse it.
            if (worker is not null) Retire(worker);
            worker = null;
            throw;
        }
        finally
        {
            if (worker is not null) Park(worker);
        }
    }

    // The project's idle worker, or a new one; when the pool is full an idle worker (of another project: this one has
    // none idle) is killed to make room. The scheduler's slot guarantees one is idle whenever the pool is full.
    private async Task<PythonWorker> RentAsync(string project, CancellationToken ct)
    {
        PythonWorker? evicted = null;
        lock (_gate)
        {
            if (_idle.TryGetValue(project, out var own))
            {
                while (own.TryPop(out var idle))
                {
                    if (own.Count == 0) _idle.Remove(project);
                    if (idle.IsAlive) return idle;
                    if (_live.TryRemove(idle, out _)) _reserved--;
                    idle.Dispose();
                }
                _idle.Remove(project);
            }
            if (_reserved >= _options.Workers)
            {
                evicted = TakeLeastRecentlyUsedIdle();
                if (evicted is not null && _live.TryRemove(evicted, out _)) _reserved--;
            }
            _reserved++;
        }
        evicted?.Dispose();
        return await StartReservedWorkerAsync(project, ct).ConfigureAwait(false);
    }

    private PythonWorker? TakeLeastRecentlyUsedIdle()
    {
        string? oldestProject = null;
        PythonWorker? oldest = null;
        foreach (var (project, stack) in _idle)
        {
            foreach (var w in stack)
            {
                if (oldest is null || w.LastUsed < oldest.LastUsed) (oldest, oldestProject) = (w, project);
            }
        }
        if (oldest is null) return null;
        var rest = _idle[oldestProject!].Where(w => w != oldest).Reverse().ToList();
        if (rest.Count == 0) _idle.Remove(oldestProject!);
        else _idle[oldestProject!] = new Stack<PythonWorker>(rest);
        return oldest;
    }

    private async Task<PythonWorker> StartReservedWorkerAsync(string project, CancellationToken ct)
    {
        PythonWorker worker;
        try
        {
            worker = await PythonWorker.StartAsync(_sandbox.WorkerStartInfo(_workDir), project, _options.StartTimeout, ct).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate) _reserved--;
            throw;
        }
        Interlocked.Increment(ref _workersStarted);
        _live[worker] = 0;
        if (_disposed)
        {
            Retire(worker);
            throw new ObjectDisposedException(nameof(PythonGraderPool));
        }
        return worker;
    }

    private bool Reusable(PythonWorker worker) =>
        worker.IsAlive
        && worker.Calls < _options.MaxCallsPerWorker
        && (_options.CpuSecondsPerWorker <= 0 || worker.CpuSeconds < _options.CpuSecondsPerWorker / 2.0)
        // Processes a grader forked and left behind would keep running between calls: end them with the worker.
        && worker.StrayProcesses(_sandbox.Status.Isolated) == 0;

    private void Park(PythonWorker worker)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                if (!_idle.TryGetValue(worker.Project, out var stack)) _idle[worker.Project] = stack = new Stack<PythonWorker>();
                stack.Push(worker);
                return;
            }
        }
        Retire(worker);
    }

    private void Retire(PythonWorker worker)
    {
        if (_live.TryRemove(worker, out _))
        {
            lock (_gate) _reserved--;
        }
        worker.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return ValueTask.CompletedTask;
            _disposed = true;
            _idle.Clear();
        }
        foreach (var w in _live.Keys) Retire(w);
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A worker may still hold the directory for a moment; it is under the temp folder.
        }
        return ValueTask.CompletedTask;
    }
}
