using RftFunctions.Testing;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Functions.Tests;

/// <summary>
/// Rft__Device (cpu | cuda | cuda:N) decides where a process's models live. A GPU worker whose image or node cannot
/// use CUDA must stop at start with a message, not quietly train on the CPU; CI has no CUDA, so it checks the refusal.
/// </summary>
public sealed class DeviceSettingTests(StorageFixture storage)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_host_refuses_to_start_on_a_device_setting_it_cannot_parse()
    {
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__Device"] = "gpu",
        });

        Assert.True(await host.WaitForExitAsync(Timeout, _ct) == 1, host.Output);
        Assert.Contains("Rft:Device (Rft__Device) must be cpu, cuda or cuda:N (N a device index), not 'gpu'", host.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_host_starts_on_cuda_only_when_torchsharp_sees_a_cuda_device()
    {
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__Roles"] = "worker",
            ["Rft__Device"] = "cuda",
        });

        if (cuda.is_available())
        {
            using var client = new HttpClient();
            using var response = await host.WaitForAsync(client, "/healthz", Timeout, _ct);
            Assert.True(response.IsSuccessStatusCode, host.Output);
        }
        else
        {
            Assert.True(await host.WaitForExitAsync(Timeout, _ct) == 1, host.Output);
            Assert.Contains("Rft:Device (Rft__Device) is cuda:0, but TorchSharp reports no CUDA device", host.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Doctor_checks_the_configured_device()
    {
        await using var cpu = HostProcess.Start(new Dictionary<string, string> { ["Rft__Device"] = "cpu" }, command: "doctor", arguments: ["--no-storage"]);
        Assert.True(await cpu.WaitForExitAsync(Timeout, _ct) == 0, cpu.Output);
        Assert.Contains("\"Setting\": \"cpu\"", cpu.Output, StringComparison.Ordinal);

        await using var gpu = HostProcess.Start(new Dictionary<string, string> { ["Rft__Device"] = "cuda:1" }, command: "doctor", arguments: ["--no-storage"]);
        Assert.True(await gpu.WaitForExitAsync(Timeout, _ct) == 1, gpu.Output);
        Assert.Contains("\"status\": \"failed\"", gpu.Output, StringComparison.Ordinal);
        Assert.Contains("Rft:Device (Rft__Device) is cuda:1", gpu.Output, StringComparison.Ordinal);
    }
}
