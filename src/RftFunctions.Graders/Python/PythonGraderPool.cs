using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;

namespace RftFunctions.Graders.Python;

/// <summary>
/// A fixed-size pool of long-lived python3 workers running <c>grade(sample, item)</c>. Each worker runs one call at a
/// time under RLIMIT_AS / RLIMIT_FSIZE, an audit hook that refuses sockets, process spawning and ctypes, and (where
/// <c>unshare</c> works) its own empty network namespace. A call that raises is a runtime error and the worker stays;
/// a call that times out or kills its process is a server error and the worker is replaced on the next call.
/// Thread-safe; dispose to stop every worker.
/// </summary>
public sealed class PythonGraderPool : IAsyncDisposable
{
    private readonly PythonGraderPoolOptions _options;
    private readonly Channel<PythonWorker?> _slots;
    private readonly ConcurrentDictionary<PythonWorker, byte> _live = new();
    private readonly string _workDir;
    private readonly string _scriptPath;
    private readonly Lazy<bool> _networkIsolation;
    private int _workersStarted;
    private bool _disposed;

    /// <summary>Creates the pool; workers start lazily on first use.</summary>
    public PythonGraderPool(PythonGraderPoolOptions? options = null)
    {
        _options = options ?? new PythonGraderPoolOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Workers, 1);
        _slots = Channel.CreateBounded<PythonWorker?>(_options.Workers);
        for (var i = 0; i < _options.Workers; i++) _slots.Writer.TryWrite(null);
        _workDir = Directory.CreateTempSubdirectory("rft-python-grader-").FullName;
        _scriptPath = Path.Combine(_workDir, "grader_worker.py");
        using (var resource = typeof(PythonGraderPool).Assembly.GetManifestResourceStream("RftFunctions.Graders.grader_worker.py")
                              ?? throw new InvalidOperationException("grader_worker.py is not embedded"))
        using (var file = File.Create(_scriptPath))
            resource.CopyTo(file);
        _networkIsolation = new Lazy<bool>(ProbeNetworkIsolation);
    }

    /// <summary>The options in force.</summary>
    public PythonGraderPoolOptions Options => _options;

    /// <summary>True when workers run without network access (their own network namespace).</summary>
    public bool NetworkIsolated => _networkIsolation.Value;

    /// <summary>How many worker processes have been started so far (replacements included).</summary>
    public int WorkersStarted => Volatile.Read(ref _workersStarted);

    /// <summary>Starts every worker now instead of on first use.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken = default)
    {
        var rented = new List<PythonWorker?>();
        try
        {
            for (var i = 0; i < _options.Workers; i++)
            {
                var w = await _slots.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                rented.Add(w is { IsAlive: true } ? w : await StartWorkerAsync(cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            foreach (var w in rented) _slots.Writer.TryWrite(w);
        }
    }

    /// <summary>
    /// Runs <c>grade(sample, item)</c>. Never throws for grader problems (see <see cref="PythonGradeOutcome"/>); throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires (the worker is killed).
    /// </summary>
    public async Task<PythonGradeOutcome> GradeAsync(PythonGraderSource source, JsonElement sample, JsonElement item,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var worker = await _slots.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var keep = false;
        try
        {
            if (worker is not { IsAlive: true })
            {
                if (worker is not null) Retire(worker);
                worker = null;
                try
                {
                    worker = await StartWorkerAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0, $"python worker could not start: {e.Message}", "start_failed");
                }
            }

            var limit = timeout ?? _options.CallTimeout;
            JsonElement answer;
            try
            {
                answer = await worker.CallAsync(source, sample, item, limit, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Retire(worker);
                worker = null;
                return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0,
                    $"grade() did not return within {limit.TotalSeconds:0.###} s; the worker was killed", "timeout");
            }
            catch (Exception e) when (e is IOException or JsonException or ObjectDisposedException)
            {
                var exit = worker.ExitCode();
                var tail = worker.StderrTail();
                Retire(worker);
                worker = null;
                return new PythonGradeOutcome(PythonGradeStatus.ServerError, 0,
                    $"the python worker died (exit code {exit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}){(tail.Length > 0 ? ": " + tail : "")}",
                    "crash");
            }
            keep = true;
            if (answer.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True)
                return new PythonGradeOutcome(PythonGradeStatus.Ok, answer.GetProperty("score").GetDouble());
            var details = answer.TryGetProperty("error", out var err) ? err.GetString() : "grade() failed";
            return new PythonGradeOutcome(PythonGradeStatus.RuntimeError, 0, details);
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
            _slots.Writer.TryWrite(keep ? worker : null);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        foreach (var w in _live.Keys) Retire(w);
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
            // A worker may still hold the directory for a moment; it is under the temp folder.
        }
        return ValueTask.CompletedTask;
    }

    private async Task<PythonWorker> StartWorkerAsync(CancellationToken ct)
    {
        var worker = await PythonWorker.StartAsync(_options, _scriptPath, _workDir, _options.IsolateNetwork && NetworkIsolated, ct)
            .ConfigureAwait(false);
        Interlocked.Increment(ref _workersStarted);
        _live[worker] = 0;
        if (_disposed)
        {
            Retire(worker);
            throw new ObjectDisposedException(nameof(PythonGraderPool));
        }
        return worker;
    }

    private void Retire(PythonWorker worker)
    {
        _live.TryRemove(worker, out _);
        worker.Dispose();
    }

    private bool ProbeNetworkIsolation()
    {
        if (!_options.IsolateNetwork || !OperatingSystem.IsLinux()) return false;
        try
        {
            var psi = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { "--user", "--map-root-user", "--net", "--", _options.PythonExecutable, "-c", "pass" }) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi);
            if (p is null) return false;
            if (!p.WaitForExit(10_000))
            {
                p.Kill();
                return false;
            }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
