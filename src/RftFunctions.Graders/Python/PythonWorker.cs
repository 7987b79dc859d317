using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace RftFunctions.Graders.Python;

/// <summary>One python3 process running grader_worker.py; serves one call at a time.</summary>
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

    public static async Task<PythonWorker> StartAsync(PythonGraderPoolOptions options, string scriptPath, string workDir,
        bool unshareNetwork, CancellationToken ct)
    {
        var psi = new ProcessStartInfo
        {
            FileName = unshareNetwork ? "unshare" : options.PythonExecutable,
            WorkingDirectory = workDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        if (unshareNetwork)
        {
            foreach (var a in new[] { "--user", "--map-root-user", "--net", "--", options.PythonExecutable }) psi.ArgumentList.Add(a);
        }
        // -I: isolated mode (no user site-packages, PYTHON* variables ignored, script dir not on sys.path).
        psi.ArgumentList.Add("-I");
        psi.ArgumentList.Add(scriptPath);
        psi.ArgumentList.Add(options.MemoryLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add(options.MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["HOME"] = workDir;
        psi.Environment["LANG"] = "C.UTF-8";

        var process = Process.Start(psi) ?? throw new InvalidOperationException("python3 did not start");
        var worker = new PythonWorker(process);
        try
        {
            var ready = await worker._stdout.ReadLineAsync(ct).AsTask().WaitAsync(options.StartTimeout, ct).ConfigureAwait(false);
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

    /// <summary>Runs one grade call. Throws TimeoutException on timeout and IOException when the process dies.</summary>
    public async Task<JsonElement> CallAsync(PythonGraderSource source, JsonElement sample, JsonElement item, TimeSpan timeout,
        CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var includeSource = !_loadedSources.Contains(source.Key);
        while (true)
        {
            var id = ++_nextId;
            await _stdin.WriteLineAsync(BuildRequest(id, source, includeSource, sample, item).AsMemory(), ct).ConfigureAwait(false);
            await _stdin.FlushAsync(ct).ConfigureAwait(false);
            var remaining = timeout - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero) throw new TimeoutException();
            // ReadLineAsync on a pipe is not reliably cancellable, so wait on it with a timeout; the caller kills the
            // process on timeout, which ends the read.
            var line = await _stdout.ReadLineAsync(CancellationToken.None).AsTask().WaitAsync(remaining, ct).ConfigureAwait(false)
                       ?? throw new IOException("the python worker exited");
            using var doc = JsonDocument.Parse(line);
            var answer = doc.RootElement.Clone();
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
