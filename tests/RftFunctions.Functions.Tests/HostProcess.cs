using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RftFunctions.Functions.Tests;

/// <summary>
/// The real <c>rft</c> host as an OS process on a free loopback port, with a private content root (its own host.json
/// and no local.settings.json) and settings passed as environment variables, as an operator would.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly string _root;

    private HostProcess(Process process, string root, Uri baseAddress)
    {
        _process = process;
        _root = root;
        BaseAddress = baseAddress;
    }

    /// <summary>The host's base address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Everything the host wrote so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts <c>rft [command] --urls http://127.0.0.1:PORT [arguments]</c> with the given settings.</summary>
    public static HostProcess Start(IReadOnlyDictionary<string, string> environment, string command = "host", IReadOnlyList<string>? arguments = null)
    {
        var root = Directory.CreateTempSubdirectory("rft-host-").FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "host.json"), Path.Combine(root, "host.json"));
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "rft.dll"), command, "--urls", $"http://127.0.0.1:{port}" })
            start.ArgumentList.Add(arg);
        foreach (var arg in arguments ?? []) start.ArgumentList.Add(arg);
        start.Environment["RFT_ROOT"] = root;
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the host");
        var host = new HostProcess(process, root, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    /// <summary>Waits until the host answers HTTP at all (any status), or fails with its output.</summary>
    public async Task<HttpResponseMessage> WaitForAsync(HttpClient client, string path, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"host exited with code {_process.ExitCode}:\n{Output}");
            try
            {
                return await client.GetAsync(new Uri(BaseAddress, path), cancellationToken);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new TimeoutException($"host did not answer {path} within {timeout}:\n{Output}", e);
            }
        }
    }

    /// <summary>Waits for the process to exit (for one-shot commands) and returns its exit code.</summary>
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

    /// <summary>
    /// A port that is free now, from 20000-29999: below Linux's ephemeral range (32768-60999), where the kernel puts
    /// every port-0 listener (Azurite, the grading test servers) and every outgoing connection's source port, so none of
    /// those can take it between this check and the host binding it. (A port 0 pick from the ephemeral range once went
    /// to another test's host first, and this host's requests reached that one.)
    /// </summary>
    private static int FreePort()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = Random.Shared.Next(20000, 30000);
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException) when (attempt < 100)
            {
                // taken: try another
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
