using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace RftFunctions.Graders.Python;

/// <summary>One python3 process running grader_worker.py (normally inside its sandbox); serves one project, one call at a time.</summary>
internal sealed class PythonWorker : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _stdin;
    private readonly StreamReader _stdout;
    private readonly HashSet<string> _loadedSources = new(StringComparer.Ordinal);
    private readonly Queue<string> _stderrTail = new();
    private long _nextId;

    private PythonWorker(Process process)
    {
        _process = process;
        _stdin = process.StandardInput;
        _stdout = process.StandardOutput;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(e.Data);
                while (_stderrTail.Count > 40) _stderrTail.Dequeue();
            }
        };
        process.BeginErrorReadLine();
    }

    public bool IsAlive => !_process.HasExited;

    public int ProcessId => _process.Id;

    /// <summary>The project this worker serves; a worker never serves another.</summary>
    public required string Project { get; init; }

    /// <summary>Calls served so far.</summary>
    public int Calls { get; private set; }

    /// <summary>CPU seconds the worker reported after its last call.</summary>
    public double CpuSeconds { get; private set; }

    /// <summary>When the worker last finished a call (for evicting the least recently used idle worker).</summary>
    public long LastUsed { get; private set; } = Environment.TickCount64;

    public static async Task<PythonWorker> StartAsync(ProcessStartInfo psi, string project, TimeSpan startTimeout, CancellationToken ct)
    {
        var process = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        var worker = new PythonWorker(process) { Project = project };
        try
        {
            var ready = await worker._stdout.ReadLineAsync(ct).AsTask().WaitAsync(startTimeout, ct).ConfigureAwait(false);
            if (ready is null || !ready.Contains("\"ready\"", StringComparison.Ordinal))
                throw new InvalidOperationException($"python worker failed to start: {worker.StderrTail()}");
            return worker;
        }
        catch
        {
            worker.Dispose();
            throw;
        }
    }

    /// <summary>Compiles <paramref name="source"/> without running it; returns null or the syntax error.</summary>
    public async Task<string?> CheckAsync(string source, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var answer = await ExchangeAsync(BuildCheck(++_nextId, source), timeout, deadline, ct).ConfigureAwait(false);
        return answer.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True
            ? null
            : answer.TryGetProperty("error", out var error) ? error.GetString() : "the source does not compile";
    }

    /// <summary>Runs one grade call. Throws TimeoutException on timeout and IOException when the process dies.</summary>
    public async Task<JsonElement> CallAsync(PythonGraderSource source, JsonElement sample, JsonElement item, TimeSpan timeout,
        CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var includeSource = !_loadedSources.Contains(source.Key);
        while (true)
        {
            var answer = await ExchangeAsync(BuildRequest(++_nextId, source, includeSource, sample, item), timeout, deadline, ct).ConfigureAwait(false);
            if (answer.TryGetProperty("need_source", out _) && !includeSource)
            {
                // The worker evicted this source from its cache: send it again.
                includeSource = true;
                _loadedSources.Remove(source.Key);
                continue;
            }
            _loadedSources.Add(source.Key);
            return answer;
        }
    }

    private async Task<JsonElement> ExchangeAsync(string request, TimeSpan timeout, Stopwatch deadline, CancellationToken ct)
    {
        await _stdin.WriteLineAsync(request.AsMemory(), ct).ConfigureAwait(false);
        await _stdin.FlushAsync(ct).ConfigureAwait(false);
        var remaining = timeout - deadline.Elapsed;
        if (remaining <= TimeSpan.Zero) throw new TimeoutException();
        // ReadLineAsync on a pipe is not reliably cancellable, so wait on it with a timeout; the caller kills the
        // process on timeout, which ends the read.
        var line = await _stdout.ReadLineAsync(CancellationToken.None).AsTask().WaitAsync(remaining, ct).ConfigureAwait(false)
                   ?? throw new IOException("the python worker exited");
        using var doc = JsonDocument.Parse(line);
        var answer = doc.RootElement.Clone();
        Calls++;
        LastUsed = Environment.TickCount64;
        if (answer.TryGetProperty("cpu", out var cpu) && cpu.ValueKind == JsonValueKind.Number) CpuSeconds = cpu.GetDouble();
        return answer;
    }

    /// <summary>
    /// Processes under this worker besides the sandbox's init and the interpreter (what grader code forked and left
    /// running). Read from the host's /proc, so grader code cannot hide them.
    /// </summary>
    public int StrayProcesses(bool sandboxed) => Math.Max(0, ProcessTree.CountDescendants(_process.Id) - (sandboxed ? 2 : 0));

    public string StderrTail()
    {
        lock (_stderrTail) return string.Join('\n', _stderrTail);
    }

    public int? ExitCode()
    {
        try
        {
            if (!_process.HasExited && !_process.WaitForExit(1000)) return null;
            return _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private static string BuildCheck(long id, string source)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("check", source);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string BuildRequest(long id, PythonGraderSource source, bool includeSource, JsonElement sample, JsonElement item)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("id", id);
            w.WriteString("key", source.Key);
            if (includeSource) w.WriteString("source", source.Source);
            w.WritePropertyName("sample");
            sample.WriteTo(w);
            w.WritePropertyName("item");
            if (item.ValueKind == JsonValueKind.Undefined) w.WriteStartObject();
            if (item.ValueKind == JsonValueKind.Undefined) w.WriteEndObject();
            else item.WriteTo(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
