using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

public sealed class ComputeDeviceTests
{
    [Theory]
    [InlineData(null, "cpu")]
    [InlineData("", "cpu")]
    [InlineData(" CPU ", "cpu")]
    [InlineData("cuda", "cuda:0")]
    [InlineData("CUDA:3", "cuda:3")]
    public void Parses_the_settings_spellings(string? value, string expected)
    {
        var device = ComputeDevice.Parse(value);

        Assert.Equal(expected, device.ToString());
        Assert.Equal(expected.StartsWith("cuda", StringComparison.Ordinal) ? DeviceType.CUDA : DeviceType.CPU, device.Device.type);
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("mps")]
    public void Refuses_anything_else_naming_the_setting_and_the_value(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => ComputeDevice.Parse(value, "Rft:Device"));

        Assert.Contains("Rft:Device must be cpu, cuda or cuda:N", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_is_usable_exactly_when_the_loaded_torchsharp_build_sees_a_device()
    {
        var device = ComputeDevice.Parse("cuda");
        if (cuda.is_available())
        {
            Assert.Same(device, device.EnsureAvailable());
            var beyond = ComputeDevice.Parse($"cuda:{cuda.device_count()}");
            Assert.Contains("CUDA device(s) are visible", Assert.Throws<InvalidOperationException>(() => beyond.EnsureAvailable()).Message, StringComparison.Ordinal);
        }
        else
        {
            var e = Assert.Throws<InvalidOperationException>(() => device.EnsureAvailable("Rft__Device"));
            Assert.Contains("Rft__Device is cuda:0, but TorchSharp reports no CUDA device", e.Message, StringComparison.Ordinal);
        }
        Assert.Same(ComputeDevice.Cpu, ComputeDevice.Cpu.EnsureAvailable());
    }
}
