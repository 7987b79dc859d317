using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>
/// Where a process puts its models: <c>cpu</c>, <c>cuda</c> (device 0) or <c>cuda:N</c>. Parsed once from the host's
/// <c>Rft:Device</c> setting and checked against what the loaded TorchSharp build can do, so a GPU worker whose image
/// carries the CPU-only package fails at start with a clear message instead of silently training on the CPU.
/// </summary>
public sealed record ComputeDevice
{
    private ComputeDevice(DeviceType type, int index)
    {
        Type = type;
        Index = index;
    }

    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu { get; } = new(DeviceType.CPU, -1);

    /// <summary>CPU or CUDA.</summary>
    public DeviceType Type { get; }

    /// <summary>The CUDA device index (-1 for the CPU).</summary>
    public int Index { get; }

    /// <summary>The torch device.</summary>
    public Device Device => Type == DeviceType.CPU ? CPU : new Device(DeviceType.CUDA, Index);

    /// <summary>The setting's spelling: <c>cpu</c> or <c>cuda:N</c>.</summary>
    public override string ToString() => Type == DeviceType.CPU ? "cpu" : $"cuda:{Index}";

    /// <summary>
    /// Parses <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (case-insensitive; empty means cpu). Throws
    /// <see cref="ArgumentException"/> naming <paramref name="setting"/> for anything else.
    /// </summary>
    public static ComputeDevice Parse(string? value, string setting = "Rft:Device")
    {
        var text = (value ?? "").Trim().ToLowerInvariant();
        if (text is "" or "cpu") return Cpu;
        if (text == "cuda") return new ComputeDevice(DeviceType.CUDA, 0);
        if (text.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return new ComputeDevice(DeviceType.CUDA, index);
        throw new ArgumentException($"{setting} must be cpu, cuda or cuda:N (N a device index), not '{value}'");
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> when this device cannot be used by the loaded TorchSharp build:
    /// CUDA without a CUDA-enabled native library, or an index past the visible devices.
    /// </summary>
    public ComputeDevice EnsureAvailable(string setting = "Rft:Device")
    {
        if (Type == DeviceType.CPU) return this;
        if (!cuda.is_available())
            throw new InvalidOperationException($"{setting} is {this}, but TorchSharp reports no CUDA device: this build carries the CPU-only " +
                "TorchSharp package (or no GPU/driver is visible). Use the GPU worker image (infra/docker/gpu-worker.Dockerfile) or set it to cpu.");
        int count = cuda.device_count();
        if (Index >= count)
            throw new InvalidOperationException($"{setting} is {this}, but only {count} CUDA device(s) are visible (indices 0..{count - 1}).");
        return this;
    }
}
