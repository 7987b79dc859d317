using System.Text.Json;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Hosting;
using RftFunctions.Model;
using RftFunctions.Storage;
using static TorchSharp.torch;

namespace RftFunctions.Functions.Cli;

/// <summary>
/// <c>rft doctor</c>: checks what a node needs before it can train — TorchSharp's native library loads and computes
/// (the Debian 12 fix worked), and the configured storage answers; with <c>--host URL</c>, also that a running host
/// reports every storage service and every long-running loop healthy. Prints one JSON object; exit code 1 on a failure.
/// </summary>
public static class DoctorCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = ContentRoot.Find();
        var configuration = new ConfigurationManager();
        bool checkStorage = !args.Contains("--no-storage");
        // --host URL: also read a running host's own health (its loops), see HostHealthCheck.
        int hostIndex = Array.IndexOf(args, "--host");
        string? hostUrl = hostIndex >= 0 && hostIndex + 1 < args.Length ? args[hostIndex + 1] : null;
        var rest = args.Where((a, i) => a != "--no-storage" && (hostIndex < 0 || (i != hostIndex && i != hostIndex + 1))).ToArray();
        FunctionsConfiguration.Apply(configuration, root, rest);
        var options = configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>() ?? new RftHostOptions();

        var torchCheck = CheckTorch();
        var deviceCheck = torchCheck.Ok ? CheckDevice(options.Device) : new DeviceCheck(false, options.Device, false, 0, "TorchSharp does not load");
        IReadOnlyList<ServiceProbe> storage = checkStorage ? await ProbeStorageAsync(options, configuration) : [];

        var pythonSandbox = await PythonSandboxCheck.RunAsync(configuration);

        var host = hostUrl is null ? null : await HostHealthCheck.RunAsync(hostUrl);

        bool ok = torchCheck.Ok && deviceCheck.Ok && storage.All(s => s.Ok) && pythonSandbox.Ok && host?.Ok != false;
        var report = new { status = ok ? "ok" : "failed", torch = torchCheck, device = deviceCheck, storage, pythonSandbox, host, contentRoot = root };
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        return ok ? 0 : 1;
    }

    private static async Task<IReadOnlyList<ServiceProbe>> ProbeStorageAsync(RftHostOptions options, IConfiguration configuration)
    {
        try
        {
            var account = StorageAccount.FromSettings(options.StorageConnectionName, key => configuration[key]);
            return await new StorageHealth(account).ProbeAsync(CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            return [new ServiceProbe("settings", false, e.Message)];
        }
    }

    /// <summary>The TorchSharp check: d/dx sum(x^2) at x = [1, 2, 3] must be [2, 4, 6].</summary>
    public sealed record TorchCheck(bool Ok, string? Version, int Threads, string? Error);

    /// <summary>The device check: the configured <c>Rft:Device</c> parses, is usable, and computes.</summary>
    public sealed record DeviceCheck(bool Ok, string Setting, bool CudaAvailable, int CudaDevices, string? Error);

    private static DeviceCheck CheckDevice(string setting)
    {
        bool cudaAvailable = cuda.is_available();
        int devices = cudaAvailable ? cuda.device_count() : 0;
        try
        {
            var device = ComputeDevice.Parse(setting, RftHost.DeviceSetting).EnsureAvailable(RftHost.DeviceSetting);
            using var scope = NewDisposeScope();
            var sum = ones(4, device: device.Device).sum().cpu().item<float>();
            return new DeviceCheck(sum == 4, device.ToString(), cudaAvailable, devices, sum == 4 ? null : $"ones(4).sum() is {sum} on {device}");
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return new DeviceCheck(false, setting, cudaAvailable, devices, e.Message);
        }
    }

    private static TorchCheck CheckTorch()
    {
        try
        {
            using var scope = NewDisposeScope();
            var x = tensor(new float[] { 1, 2, 3 }, requires_grad: true);
            x.pow(2).sum().backward();
            var gradient = x.grad!.data<float>().ToArray();
            bool ok = gradient.SequenceEqual(new float[] { 2, 4, 6 });
            return new TorchCheck(ok, TorchSharp.torch.__version__, get_num_threads(), ok ? null : $"wrong gradient [{string.Join(", ", gradient)}]");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
        {
            return new TorchCheck(false, null, 0, (e.InnerException ?? e).Message);
        }
    }
}
