using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

/// <summary>Proves the native TorchSharp library loads and computes in a test host (build/TorchSharpNativeFix.targets).</summary>
public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void Autograd_gradient_matches_the_hand_computed_value()
    {
        using var scope = NewDisposeScope();
        // f(x, w) = sum(tanh(w * x)^2); df/dw = sum(2 tanh(w x) (1 - tanh(w x)^2) x).
        var x = tensor(new double[] { 0.5, -1.0, 2.0 });
        var w = tensor(0.7, requires_grad: true);
        var f = tanh(w * x).pow(2).sum();
        f.backward();

        double expected = 0;
        foreach (var xi in new[] { 0.5, -1.0, 2.0 })
        {
            var t = Math.Tanh(0.7 * xi);
            expected += 2 * t * (1 - t * t) * xi;
        }
        Assert.Equal(expected, w.grad!.item<double>(), 1e-12);
    }

    [Fact]
    public void Matmul_computes_on_the_cpu()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = tensor(new float[] { 5, 6, 7, 8 }).reshape(2, 2);

        var c = matmul(a, b);

        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
        Assert.Equal(DeviceType.CPU, c.device_type);
    }
}
