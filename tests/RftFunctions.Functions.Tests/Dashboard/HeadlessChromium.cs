using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Functions.Tests.Dashboard;

/// <summary>
/// Debian's Chromium, headless, driven over the Chrome DevTools Protocol (one page, one WebSocket): navigate, evaluate
/// JavaScript, take screenshots, and collect every console error, uncaught exception and error log entry the page
/// produces. No browser download and no driver package: the protocol is JSON over the socket Chromium opens itself.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where Debian's <c>chromium</c> package puts the browser (<c>RFT_CHROMIUM</c> overrides).</summary>
    public const string DefaultExecutable = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket;
    private readonly StringBuilder _stderr;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly List<string> _problems = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _send = new(1, 1);
    private Task _reader = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile, ClientWebSocket socket, StringBuilder stderr)
    {
        _process = process;
        _profile = profile;
        _socket = socket;
        _stderr = stderr;
    }

    /// <summary>Console errors, uncaught exceptions and error log entries (failed loads included) seen so far.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems) return [.. _problems];
        }
    }

    /// <summary>Forgets the problems seen so far (before a step that is meant to produce some).</summary>
    public void ClearProblems()
    {
        lock (_problems) _problems.Clear();
    }

    /// <summary>
    /// Starts Chromium with a fresh profile and the flags this machine's closed network needs (no background
    /// networking, updates or sync), and attaches to its first page. Fails, naming the fix, when Chromium is missing.
    /// </summary>
    public static async Task<HeadlessChromium> LaunchAsync(int width, int height, CancellationToken cancellationToken)
    {
        var executable = Environment.GetEnvironmentVariable("RFT_CHROMIUM") is { Length: > 0 } configured ? configured : DefaultExecutable;
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {executable}. Install Debian's package (`apt-get install -y chromium`, as .ci/run does) or set RFT_CHROMIUM to a Chromium binary.");
        }
        var profile = Directory.CreateTempSubdirectory("rft-chromium-").FullName;
        var start = new ProcessStartInfo(executable) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            "--mute-audio", $"--user-data-dir={profile}", "--remote-debugging-port=0", $"--window-size={width},{height}", "about:blank",
        })
        {
            start.ArgumentList.Add(arg);
        }
        var stderr = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.AppendLine(e.Data);
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var port = await DevToolsPortAsync(process, profile, stderr, cancellationToken);
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/json/list"), cancellationToken))!.AsArray();
            var page = targets.FirstOrDefault(t => (string?)t!["type"] == "page")
                ?? throw new InvalidOperationException($"Chromium opened no page target: {targets.ToJsonString()}");
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.Zero;
            await socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), cancellationToken);
            var browser = new HeadlessChromium(process, profile, socket, stderr);
            browser._reader = Task.Run(browser.ReadLoopAsync, CancellationToken.None);
            await browser.SendAsync("Runtime.enable", null, cancellationToken);
            await browser.SendAsync("Log.enable", null, cancellationToken);
            await browser.SendAsync("Page.enable", null, cancellationToken);
            await browser.SendAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false }, cancellationToken);
            return browser;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    // Chromium writes the port it chose to <profile>/DevToolsActivePort once it listens.
    private static async Task<int> DevToolsPortAsync(Process process, string profile, StringBuilder stderr, CancellationToken cancellationToken)
    {
        var file = Path.Combine(profile, "DevToolsActivePort");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (File.Exists(file))
            {
                var lines = await File.ReadAllLinesAsync(file, cancellationToken);
                if (lines.Length > 0 && int.TryParse(lines[0], out var port)) return port;
            }
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                string output;
                lock (stderr) output = stderr.ToString();
                throw new InvalidOperationException($"Chromium did not open its DevTools port (exited: {process.HasExited}):\n{output}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Sends one protocol command and returns its result.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters ?? new { } });
        await _send.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _send.Release();
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        return await reply.Task.WaitAsync(limit.Token);
    }

    /// <summary>Opens <paramref name="url"/> and waits for its load event.</summary>
    public async Task NavigateAsync(Uri url, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Page.navigate", new { url = url.ToString() }, cancellationToken);
        if (result.TryGetProperty("errorText", out var error)) throw new InvalidOperationException($"navigation to {url} failed: {error.GetString()}");
        await WaitForAsync("document.readyState === 'complete'", "the page to load", TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Runtime.evaluate", new { expression, returnByValue = true, awaitPromise = true }, cancellationToken);
        if (result.TryGetProperty("exceptionDetails", out var details))
            throw new InvalidOperationException($"evaluating `{expression}` threw: {details}");
        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>
    /// Polls <paramref name="condition"/> (a JavaScript boolean expression) until it holds; past
    /// <paramref name="timeout"/> fails saying what was awaited, with the page's alert and the problems seen.
    /// </summary>
    public async Task WaitForAsync(string condition, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await EvaluateAsync($"!!({condition})", cancellationToken);
            if (value.ValueKind == JsonValueKind.True) return;
            if (DateTime.UtcNow > deadline)
            {
                var alert = await EvaluateAsync("(document.getElementById('alert') || {}).textContent || ''", cancellationToken);
                throw new TimeoutException($"waited {timeout} for {what}; page alert: '{alert}'; problems: [{string.Join("; ", Problems)}]");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Saves a PNG of the whole page (beyond the viewport) to <paramref name="path"/>.</summary>
    public async Task ScreenshotAsync(string path, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Page.captureScreenshot", new { format = "png", captureBeyondViewport = true }, cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(result.GetProperty("data").GetString()!), cancellationToken);
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                Dispatch(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // Disposed, or Chromium went away: pending commands fail below.
        }
        string output;
        lock (_stderr) output = _stderr.ToString();
        foreach (var (_, reply) in _pending) reply.TrySetException(new InvalidOperationException($"the DevTools connection closed; Chromium wrote:\n{output}"));
    }

    private void Dispatch(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("id", out var id))
        {
            if (!_pending.TryRemove(id.GetInt32(), out var reply)) return;
            if (root.TryGetProperty("error", out var error)) reply.TrySetException(new InvalidOperationException($"DevTools error: {error}"));
            else reply.TrySetResult(root.GetProperty("result").Clone());
            return;
        }
        var method = root.GetProperty("method").GetString();
        var p = root.GetProperty("params");
        var problem = method switch
        {
            "Runtime.consoleAPICalled" when p.GetProperty("type").GetString() is "error" or "assert" =>
                "console." + p.GetProperty("type").GetString() + ": " + string.Join(" ", p.GetProperty("args").EnumerateArray().Select(Describe)),
            "Runtime.exceptionThrown" => "uncaught: " + Describe(p.GetProperty("exceptionDetails")),
            "Log.entryAdded" when p.GetProperty("entry").GetProperty("level").GetString() == "error" =>
                "log: " + p.GetProperty("entry").GetProperty("text").GetString() + " " + (p.GetProperty("entry").TryGetProperty("url", out var url) ? url.GetString() : ""),
            _ => null,
        };
        if (problem is null) return;
        lock (_problems) _problems.Add(problem);
    }

    private static string Describe(JsonElement value)
    {
        if (value.TryGetProperty("exception", out var exception) && exception.TryGetProperty("description", out var d)) return d.GetString() ?? "";
        if (value.TryGetProperty("value", out var v)) return v.ToString();
        if (value.TryGetProperty("description", out var description)) return description.GetString() ?? "";
        return value.TryGetProperty("text", out var text) ? text.GetString() ?? "" : value.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        finally
        {
            _socket.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            _process.Dispose();
            _stop.Dispose();
            _send.Dispose();
            // Chromium's helpers may still be closing files in the profile for a moment.
            for (var attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    Directory.Delete(_profile, recursive: true);
                    break;
                }
                catch (IOException) when (attempt < 4)
                {
                    await Task.Delay(200);
                }
            }
        }
    }
}
