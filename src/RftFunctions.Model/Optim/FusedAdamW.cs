using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RftFunctions.Model.Optim;

/// <summary>
/// AdamW (decoupled weight decay, PyTorch's update rule) through libtorch's fused multi-tensor kernel
/// <c>aten::_fused_adamw_</c>. TorchSharp's <c>optim.AdamW</c> runs about nine separate element-wise passes per
/// parameter tensor (two of them allocating a temporary the size of the parameter); the fused kernel reads each
/// parameter, gradient and moment once and writes them once, so on a memory-bound CPU step the update costs a fraction
/// of the time. TorchSharp does not bind the kernel, so it is reached through a one-line TorchScript function.
/// </summary>
public sealed class FusedAdamW : IDisposable
{
    // The kernel takes every list argument by reference and updates params, exp_avgs and exp_avg_sqs in place; it only
    // reads the step counters, which PyTorch's optimiser increments just before calling it, as this script does.
    // TorchScript compiled by libtorch's C++ frontend has no Python resolver, so the (always empty) amsgrad list is
    // an argument rather than an annotated empty-list literal. Its parser also needs the final newline that a raw
    // string literal drops.
    private const string Script = """
        def step(params: List[Tensor], grads: List[Tensor], exp_avgs: List[Tensor], exp_avg_sqs: List[Tensor], max_exp_avg_sqs: List[Tensor], steps: List[Tensor], lr: float, beta1: float, beta2: float, weight_decay: float, eps: float):
            torch._foreach_add_(steps, 1.0)
            torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)

        """;

    private readonly Parameter[] _parameters;
    private readonly Tensor[] _expAvg;
    private readonly Tensor[] _expAvgSq;
    private readonly Tensor[] _steps;
    private readonly jit.CompilationUnit _unit;

    /// <summary>Creates the optimiser over <paramref name="parameters"/> (all of one dtype and device).</summary>
    public FusedAdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0.01)
    {
        _parameters = [.. parameters];
        if (_parameters.Length == 0) throw new ArgumentException("no parameters to optimise", nameof(parameters));
        if (_parameters.Select(p => (p.dtype, p.device.type)).Distinct().Count() > 1)
            throw new ArgumentException("FusedAdamW needs every parameter on one device with one dtype", nameof(parameters));
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be >= 0");
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        using var noGrad = no_grad();
        _expAvg = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _expAvgSq = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        // Per-parameter fp32 step counters on the CPU, as PyTorch keeps them for the fused kernel.
        _steps = [.. _parameters.Select(_ => zeros([], ScalarType.Float32).DetachFromDisposeScope())];
        _unit = jit.compile(Script);
    }

    /// <summary>Learning rate of the next step (schedulers set it between steps).</summary>
    public double LearningRate { get; set; }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }

    /// <summary>Decoupled weight decay (PyTorch's AdamW default is 0.01).</summary>
    public double WeightDecay { get; }

    /// <summary>The optimised parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>First moments, one per parameter (for checkpoints).</summary>
    public IReadOnlyList<Tensor> ExpAvg => _expAvg;

    /// <summary>Second moments, one per parameter (for checkpoints).</summary>
    public IReadOnlyList<Tensor> ExpAvgSq => _expAvgSq;

    /// <summary>Steps each parameter has taken, as 0-dimensional fp32 tensors (for checkpoints).</summary>
    public IReadOnlyList<Tensor> StepCounts => _steps;

    /// <summary>Clears every parameter's gradient (sets it to none, as PyTorch's default does).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.grad = null;
    }

    /// <summary>
    /// Updates every parameter that has a gradient. Parameters without one (unused this step) are skipped and keep
    /// their moments, as in PyTorch.
    /// </summary>
    public void Step()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var live = Enumerable.Range(0, _parameters.Length).Where(i => _parameters[i].grad is not null).ToArray();
        if (live.Length == 0) return;
        _unit.invoke("step",
            live.Select(i => (Tensor)_parameters[i]).ToArray(),
            live.Select(i => _parameters[i].grad!).ToArray(),
            live.Select(i => _expAvg[i]).ToArray(),
            live.Select(i => _expAvgSq[i]).ToArray(),
            Array.Empty<Tensor>(),
            live.Select(i => _steps[i]).ToArray(),
            LearningRate, Beta1, Beta2, WeightDecay, Eps);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _expAvg) t.Dispose();
        foreach (var t in _expAvgSq) t.Dispose();
        foreach (var t in _steps) t.Dispose();
        _unit.Dispose();
    }
}
