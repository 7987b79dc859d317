using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Hosting;
using RftFunctions.Storage;

namespace RftFunctions.Demo;

/// <summary>
/// The platform the demo drives: the real <c>rft</c> host with all roles (API, blob trigger and the durable worker)
/// running inside the demo's process, on the storage the host is configured for (embedded
/// Azurite for <c>UseDevelopmentStorage=true</c>, started by the host as <c>rft serve</c> does). The demo talks to it
/// only as a user would: HTTP with an API key, and blobs dropped into its containers.
/// </summary>
/// <remarks>
/// In process rather than a child process: a demo killed with Ctrl+C or SIGKILL leaves no orphaned host behind, one
/// .NET runtime and one TorchSharp load serve both on a small machine, and the host's logs still stay out of the
/// progress output (they go to <c>host.log</c>). Nothing is short-circuited: jobs go through the queues and
/// activities exactly as in <c>rft serve</c>.
/// </remarks>
public sealed class DemoPlatform : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Task<int> _host;
    private readonly DemoHostLog _log;

    private DemoPlatform(Uri baseAddress, string key, string project, StorageAccount storage, ApiOptions api, CancellationTokenSource stop, Task<int> host, DemoHostLog log)
    {
        BaseAddress = baseAddress;
        ApiKey = key;
        Project = project;
        Storage = storage;
        Api = api;
        _stop = stop;
        _host = host;
        _log = log;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>The host's address.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The API key the demo uses (the configured development key, or one made up for this run).</summary>
    public string ApiKey { get; }

    /// <summary>The project of that key (owner of dropped datasets at the top of the datasets container).</summary>
    public string Project { get; }

    /// <summary>The storage account the host uses.</summary>
    public StorageAccount Storage { get; }

    /// <summary>The host's API settings (container names).</summary>
    public ApiOptions Api { get; }

    /// <summary>An HTTP client of the host with the key.</summary>
    public HttpClient Http { get; }

    /// <summary>The dashboard's address, with the key in the fragment (never sent to the server).</summary>
    public string DashboardUrl => new Uri(BaseAddress, "dashboard") + "#key=" + Uri.EscapeDataString(ApiKey);

    /// <summary>The host log.</summary>
    public string LogPath => _log.Path;

    /// <summary>
    /// Starts the host with <paramref name="settings"/> (command-line style: <c>--urls URL</c>, <c>--Key=value</c>)
    /// and waits until it answers <c>/healthz</c> (storage reachable).
    /// </summary>
    public static async Task<DemoPlatform> StartAsync(IReadOnlyList<string> settings, string logPath, CancellationToken cancellationToken)
    {
        var root = ContentRoot.Find();
        FunctionsConfiguration.EnsureLocalSettings(root);
        var args = new List<string>(settings) { "--Rft:Roles=all" };
        var configuration = Read(root, args);
        var key = configuration["Rft:DevelopmentApiKey"];
        if (string.IsNullOrEmpty(key))
        {
            // No development key configured: one for this run, known only to this process and the dashboard URL.
            key = "sk-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            args.Add($"--Rft:DevelopmentApiKey={key}");
        }
        if (string.IsNullOrEmpty(configuration["urls"]))
        {
            var port = configuration.GetValue("Host:LocalHttpPort", RftHost.DefaultLocalHttpPort);
            args.AddRange(["--urls", $"http://127.0.0.1:{(IsFree(port) ? port : FreePort())}"]);
        }
        configuration = Read(root, args);
        var url = configuration["urls"]!.Split(';', StringSplitOptions.RemoveEmptyEntries)[0].Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("*", "127.0.0.1", StringComparison.Ordinal);
        var hostOptions = configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>() ?? new RftHostOptions();
        var api = configuration.GetSection(RftHostOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        var storage = StorageAccount.FromSettings(hostOptions.StorageConnectionName, k => configuration[k]);

        var log = new DemoHostLog(logPath);
        var stop = new CancellationTokenSource();
        var host = Task.Run(() => RftHost.RunAsync([.. args], stop.Token, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(log);
        }), CancellationToken.None);
        var platform = new DemoPlatform(new Uri(url.TrimEnd('/') + "/"), key, api.DevelopmentProject, storage, api, stop, host, log);
        try
        {
            await platform.WaitHealthyAsync(TimeSpan.FromMinutes(3), cancellationToken);
            return platform;
        }
        catch
        {
            await platform.DisposeAsync();
            throw;
        }
    }

    /// <summary>Throws when the host has stopped (Ctrl+C, a crash), so the demo does not wait on a dead host.</summary>
    public void EnsureRunning()
    {
        if (_host.IsCompleted)
            throw new InvalidOperationException($"the host stopped ({(_host.IsFaulted ? _host.Exception!.GetBaseException().Message : "exit code " + _host.Result)}); see {LogPath}");
    }

    private async Task WaitHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "no answer yet";
        while (DateTime.UtcNow < deadline)
        {
            EnsureRunning();
            try
            {
                using var response = await Http.GetAsync(new Uri(BaseAddress, "healthz"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(250, cancellationToken);
        }
        throw new TimeoutException($"the host did not become healthy within {timeout.TotalSeconds:F0} s ({last}); see {LogPath}");
    }

    private static IConfiguration Read(string root, List<string> args)
    {
        var builder = new ConfigurationBuilder();
        FunctionsConfiguration.Apply(builder, root, [.. args]);
        return builder.Build();
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Stops the host (and the Azurite it started) and closes its log.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _host.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            // A host that failed to start or does not stop in time must not hide the demo's own outcome.
        }
        Http.Dispose();
        _stop.Dispose();
        _log.Dispose();
    }
}
