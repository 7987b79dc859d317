using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace RftFunctions.Functions.Tests.Grading;

/// <summary>
/// grading_server.py as a separate OS process on 127.0.0.1: an OpenAI-compatible judge and embeddings server and an
/// endpoint grader, whose answers depend on the sample text; every request it served is in <see cref="Requests"/>.
/// </summary>
internal sealed class GradingServer : IDisposable
{
    private readonly Process _process;
    private readonly string _log;

    private GradingServer(Process process, string log, int port)
    {
        _process = process;
        _log = log;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    /// <summary><c>http://127.0.0.1:PORT</c>.</summary>
    public string BaseUrl { get; }

    public static async Task<GradingServer> StartAsync()
    {
        var log = Path.Combine(Path.GetTempPath(), $"rft-grading-server-{Guid.NewGuid():N}.jsonl");
        var script = Path.Combine(AppContext.BaseDirectory, "Grading", "grading_server.py");
        var process = Process.Start(new ProcessStartInfo("python3", ["-u", script, log]) { RedirectStandardOutput = true, UseShellExecute = false })
                      ?? throw new InvalidOperationException("python3 did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("grading_server.py printed no port");
        return new GradingServer(process, log, int.Parse(line, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The score the server gives a sample (the same formula as grading_server.py).</summary>
    public static double Score(string text) => text.EnumerateRunes().Sum(r => r.Value) % 89 / 88.0;

    /// <summary>The label the server's judge gives a sample.</summary>
    public static string Label(string text) => text.EnumerateRunes().Sum(r => r.Value) % 2 == 0 ? "good" : "bad";

    /// <summary>The embedding vector the server gives a text.</summary>
    public static float[] Vector(string text) =>
        [text.EnumerateRunes().Count() + 1, text.EnumerateRunes().Sum(r => r.Value) % 17 + 1, text.Count(c => "aeiou".Contains(c, StringComparison.Ordinal)) + 1];

    /// <summary>Every request served so far, one JSON object each.</summary>
    public IReadOnlyList<JsonElement> Requests =>
        File.Exists(_log) ? [.. File.ReadAllLines(_log).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())] : [];

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
        _process.Dispose();
        File.Delete(_log);
    }
}
