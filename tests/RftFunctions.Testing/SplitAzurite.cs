using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using RftFunctions.Storage;

namespace RftFunctions.Testing;

/// <summary>
/// Azurite as three processes (blob, queue, table: Azurite's own per-service entry points) on fixed loopback ports and
/// one data folder, so a test can stop one service, or all, and start it again where it was: an outage of that service
/// as the host sees it (connections refused), with nothing it had stored lost. A stop is Azurite's own graceful
/// shutdown (SIGINT: it closes its server and saves its database), as a restarted storage front end keeps its data.
/// </summary>
public sealed class SplitAzurite : IAsyncDisposable
{
    /// <summary>The three services.</summary>
    public static readonly string[] Services = ["blob", "queue", "table"];

    private readonly string _toolDirectory;
    private readonly string _dataDirectory;
    private readonly Dictionary<string, int> _ports;
    private readonly Dictionary<string, Process> _running = [];
    private readonly StringBuilder _output = new();

    private SplitAzurite(string toolDirectory, string dataDirectory, Dictionary<string, int> ports)
    {
        _toolDirectory = toolDirectory;
        _dataDirectory = dataDirectory;
        _ports = ports;
        ConnectionString = DevelopmentStorage.ConnectionString("127.0.0.1", ports["blob"], ports["queue"], ports["table"]);
    }

    /// <summary>A connection string for the three services.</summary>
    public string ConnectionString { get; }

    /// <summary>Everything the services wrote, for diagnostics.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Starts the three services in a new temporary data folder.</summary>
    public static async Task<SplitAzurite> StartAsync(string toolDirectory, CancellationToken cancellationToken = default)
    {
        await AzuriteEmulator.EnsureInstalledAsync(toolDirectory, cancellationToken).ConfigureAwait(false);
        var data = Directory.CreateTempSubdirectory("rft-split-azurite-").FullName;
        var ports = FreePorts();
        var azurite = new SplitAzurite(toolDirectory, data, new Dictionary<string, int> { ["blob"] = ports[0], ["queue"] = ports[1], ["table"] = ports[2] });
        foreach (var service in Services) await azurite.StartServiceAsync(service, cancellationToken).ConfigureAwait(false);
        return azurite;
    }

    /// <summary>True while the service's process runs.</summary>
    public bool IsRunning(string service) => _running.ContainsKey(service);

    /// <summary>Starts a stopped service on its port and waits until it accepts connections.</summary>
    public async Task StartServiceAsync(string service, CancellationToken cancellationToken = default)
    {
        if (_running.ContainsKey(service)) return;
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dataDirectory,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(_toolDirectory, $"node_modules/azurite/dist/src/{service}/main.js"),
                     "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose", "--location", _dataDirectory,
                     $"--{service}Host", "127.0.0.1", $"--{service}Port", _ports[service].ToString(System.Globalization.CultureInfo.InvariantCulture),
                 })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start Azurite's {service} service");
        process.OutputDataReceived += (_, e) => Append(service, e.Data);
        process.ErrorDataReceived += (_, e) => Append(service, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Watch(process.Id);
        _running[service] = process;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!AzuriteEmulator.IsListening(_ports[service]))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"Azurite's {service} service did not start on port {_ports[service]}: {Output}");
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops a service gracefully (its data is saved; a kill would lose up to 5 s of writes) and waits for it to exit.</summary>
    public async Task StopServiceAsync(string service)
    {
        if (!_running.Remove(service, out var process)) return;
        _ = Kill(process.Id, SigInt);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Killed, it may lose what it had not saved (Azurite saves every 5 s and at a graceful stop): the outage a
            // test meant would be a data loss instead, so say so rather than go on.
            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
            process.Dispose();
            throw new InvalidOperationException($"Azurite's {service} service did not stop within 20 s of SIGINT and was killed: {Output}");
        }
        process.Dispose();
    }

    /// <summary>Stops all three services.</summary>
    public Task StopAllAsync() => Task.WhenAll(Services.Select(StopServiceAsync));

    /// <summary>Starts all stopped services.</summary>
    public async Task StartAllAsync(CancellationToken cancellationToken = default)
    {
        foreach (var service in Services) await StartServiceAsync(service, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _running.Values)
        {
            try
            {
                process.Kill();
                await process.WaitForExitAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
            process.Dispose();
        }
        _running.Clear();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by a dying process: the folder is in the temp area
        }
    }

    private void Append(string service, string? line)
    {
        if (line is null) return;
        lock (_output) _output.Append(service).Append(": ").AppendLine(line);
    }

    /// <summary>Ends the service's process if this one dies first (even by SIGKILL), so no emulator is left behind.</summary>
    private static void Watch(int pid)
    {
        var watchdog = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        watchdog.ArgumentList.Add("-c");
        watchdog.ArgumentList.Add($"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 {pid} 2>/dev/null; do sleep 1; done; kill {pid} 2>/dev/null");
        using var _ = Process.Start(watchdog);
    }

    /// <summary>
    /// Three ports free now from 30000-32767: above the host processes' range (20000-29999) and below Linux's ephemeral
    /// range, where an outgoing connection could take a stopped service's port before it starts again.
    /// </summary>
    private static int[] FreePorts()
    {
        var ports = new List<int>();
        while (ports.Count < 3)
        {
            int port = Random.Shared.Next(30000, 32768);
            if (ports.Contains(port)) continue;
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                ports.Add(port);
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        return [.. ports];
    }

    // SIGINT: the signal all three services handle (the table service ignores SIGTERM's graceful path and dies unsaved).
    private const int SigInt = 2;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
