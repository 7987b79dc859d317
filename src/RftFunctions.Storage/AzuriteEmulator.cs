using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RftFunctions.Storage;

/// <summary>Where and how to run Azurite.</summary>
/// <param name="ToolDirectory">The folder whose package.json pins Azurite (node_modules is installed there).</param>
/// <param name="DataDirectory">Azurite's workspace; null makes a temporary one that is deleted on dispose.</param>
/// <param name="BlobPort">0 picks a free loopback port.</param>
/// <param name="QueuePort">0 picks a free loopback port.</param>
/// <param name="TablePort">0 picks a free loopback port.</param>
public sealed record AzuriteOptions(
    string ToolDirectory,
    string? DataDirectory = null,
    int BlobPort = 0,
    int QueuePort = 0,
    int TablePort = 0)
{
    /// <summary>How long to wait for the three services to accept connections.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A private Azurite process (blob, queue and table services on loopback) started from the repository's pinned npm
/// dev dependency. Installing it (<c>npm ci</c>) happens on first use. The process is watched by a small shell loop
/// that ends it when this process dies, so a crashed test run leaves no emulator behind.
/// </summary>
public sealed class AzuriteEmulator : IAsyncDisposable
{
    private const string ScriptRelativePath = "node_modules/azurite/dist/src/azurite.js";
    private readonly Process _process;
    private readonly string? _temporaryDataDirectory;
    private readonly StringBuilder _output;

    private AzuriteEmulator(Process process, int blobPort, int queuePort, int tablePort, string? temporaryDataDirectory, StringBuilder output)
    {
        _process = process;
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
        _temporaryDataDirectory = temporaryDataDirectory;
        _output = output;
        ConnectionString = DevelopmentStorage.ConnectionString("127.0.0.1", blobPort, queuePort, tablePort);
    }

    /// <summary>The blob service port.</summary>
    public int BlobPort { get; }

    /// <summary>The queue service port.</summary>
    public int QueuePort { get; }

    /// <summary>The table service port.</summary>
    public int TablePort { get; }

    /// <summary>A connection string for this emulator.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// The folder holding the package.json that pins Azurite: <c>RFT_AZURITE_DIR</c> if set, else the first folder
    /// at or above one of <paramref name="startDirectories"/> whose package.json names azurite.
    /// </summary>
    public static string FindToolDirectory(params string[] startDirectories)
    {
        var configured = Environment.GetEnvironmentVariable("RFT_AZURITE_DIR");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (var start in startDirectories)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var packageJson = Path.Combine(dir.FullName, "package.json");
                if (File.Exists(packageJson) && File.ReadAllText(packageJson).Contains("\"azurite\"", StringComparison.Ordinal))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException(
            "Cannot find the package.json that pins Azurite above " + string.Join(" or ", startDirectories) +
            "; run from the repository or set RFT_AZURITE_DIR.");
    }

    /// <summary>True when something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(IPAddress.Loopback, port).Wait(TimeSpan.FromMilliseconds(500)) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Installs Azurite if needed, starts it and waits until all three services accept connections.</summary>
    public static async Task<AzuriteEmulator> StartAsync(AzuriteOptions options, CancellationToken cancellationToken = default)
    {
        await EnsureInstalledAsync(options.ToolDirectory, cancellationToken).ConfigureAwait(false);
        bool freePorts = options.BlobPort == 0 || options.QueuePort == 0 || options.TablePort == 0;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync(options, cancellationToken).ConfigureAwait(false);
            }
            catch (AzuriteStartException) when (freePorts && attempt < 3)
            {
                // Another process took a port between our probe and Azurite's bind: probe again.
            }
        }
    }

    private static async Task<AzuriteEmulator> StartOnceAsync(AzuriteOptions options, CancellationToken cancellationToken)
    {
        var ports = FreeLoopbackPorts(3);
        int blob = options.BlobPort == 0 ? ports[0] : options.BlobPort;
        int queue = options.QueuePort == 0 ? ports[1] : options.QueuePort;
        int table = options.TablePort == 0 ? ports[2] : options.TablePort;
        string? temporary = null;
        var data = options.DataDirectory;
        if (data is null)
        {
            temporary = Directory.CreateTempSubdirectory("rft-azurite-").FullName;
            data = temporary;
        }
        Directory.CreateDirectory(data);

        var script = Path.Combine(options.ToolDirectory, ScriptRelativePath);
        var azurite = string.Join(' ',
            "exec node", Quote(script), "--silent", "--disableTelemetry", "--skipApiVersionCheck", "--loose",
            "--location", Quote(data), "--blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1",
            $"--blobPort {blob} --queuePort {queue} --tablePort {table}");
        // The watchdog ends Azurite when the process that started it is gone (even after SIGKILL).
        var watched = $"({azurite}) & child=$!; " +
                      $"while kill -0 {Environment.ProcessId} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done; " +
                      "kill $child 2>/dev/null; wait $child";
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = data,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(watched);
        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new AzuriteStartException("could not start /bin/sh for Azurite");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var emulator = new AzuriteEmulator(process, blob, queue, table, temporary, output);
        var deadline = DateTime.UtcNow + options.StartTimeout;
        while (!(IsListening(blob) && IsListening(queue) && IsListening(table)))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                string log;
                lock (output) log = output.ToString();
                await emulator.DisposeAsync().ConfigureAwait(false);
                throw new AzuriteStartException(
                    $"Azurite did not start on ports {blob}/{queue}/{table} " +
                    (process.HasExited ? "(it exited)" : $"within {options.StartTimeout.TotalSeconds:0} s") + ": " + log.Trim());
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        return emulator;
    }

    /// <summary>Runs <c>npm ci</c> in the tool directory unless Azurite is installed; safe across processes.</summary>
    public static async Task EnsureInstalledAsync(string toolDirectory, CancellationToken cancellationToken = default)
    {
        var script = Path.Combine(toolDirectory, ScriptRelativePath);
        if (File.Exists(script)) return;
        // Test assemblies run in parallel processes; one installs while the others wait on the lock file.
        await using var installLock = await AcquireLockAsync(Path.Combine(toolDirectory, ".azurite-install.lock"), cancellationToken).ConfigureAwait(false);
        if (File.Exists(script)) return;
        var start = new ProcessStartInfo("npm", "ci --no-audit --no-fund")
        {
            WorkingDirectory = toolDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var npm = Process.Start(start) ?? throw new InvalidOperationException("could not start npm");
        var stdout = npm.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = npm.StandardError.ReadToEndAsync(cancellationToken);
        await npm.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (npm.ExitCode != 0 || !File.Exists(script))
        {
            throw new InvalidOperationException(
                $"'npm ci' in {toolDirectory} failed (exit {npm.ExitCode}) installing Azurite: {await stderr.ConfigureAwait(false)}{await stdout.ConfigureAwait(false)}");
        }
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static int[] FreeLoopbackPorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Stops Azurite and deletes a temporary data folder.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        if (_temporaryDataDirectory is not null)
        {
            try
            {
                Directory.Delete(_temporaryDataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open by a dying process: the folder is in the temp area and harmless.
            }
        }
    }

    /// <summary>The emulator's output so far, for diagnostics.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }
}

/// <summary>Azurite failed to come up.</summary>
public sealed class AzuriteStartException(string message) : Exception(message);
