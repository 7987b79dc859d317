using System.Diagnostics;
using System.Text;

namespace RftFunctions.Demo.Tests;

/// <summary>
/// The demo program (<c>rft-demo</c>) as an OS process, as a user runs it: its working directory is a private folder
/// (with its own host.json, so the host's content root is that folder) and settings come as environment variables.
/// </summary>
public sealed class DemoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DemoProcess(Process process, string workingDirectory)
    {
        _process = process;
        WorkingDirectory = workingDirectory;
    }

    /// <summary>The folder the demo was started in (where its report lands without <c>--out</c>).</summary>
    public string WorkingDirectory { get; }

    /// <summary>Everything the demo wrote so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts <c>rft-demo [arguments]</c> in <paramref name="workingDirectory"/> with the given settings.</summary>
    public static DemoProcess Start(IReadOnlyDictionary<string, string> environment, string workingDirectory, IReadOnlyList<string> arguments)
    {
        Directory.CreateDirectory(workingDirectory);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "host.json"), Path.Combine(workingDirectory, "host.json"), overwrite: true);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rft-demo.dll"));
        foreach (var arg in arguments) start.ArgumentList.Add(arg);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the demo");
        var demo = new DemoProcess(process, workingDirectory);
        process.OutputDataReceived += (_, e) => demo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => demo.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return demo;
    }

    /// <summary>Waits for the demo to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        await _process.WaitForExitAsync(limit.Token);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
