using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace RftFunctions.Model;

/// <summary>
/// A low-rank update B·A of one projection, scaled by alpha / rank: y = W x + (alpha / r) · B A dropout(x).
/// A [r, in] starts as PEFT's kaiming-uniform draw, B [out, r] at zero, so a fresh adapter leaves the model unchanged.
/// </summary>
public sealed class LoraAdapter : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates an adapter for a projection of <paramref name="inFeatures"/> → <paramref name="outFeatures"/>.</summary>
    public LoraAdapter(long inFeatures, long outFeatures, int rank, double alpha, double dropout, Device device, ScalarType dtype, Generator? generator = null)
        : base(nameof(LoraAdapter))
    {
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), rank, "LoRA rank must be positive");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "LoRA dropout must be in [0, 1)");
        Rank = rank;
        Alpha = alpha;
        Dropout = dropout;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using (no_grad())
        {
            using var a = empty([rank, inFeatures], ScalarType.Float32).uniform_(-bound, bound, generator);
            A = new Parameter(a.to(dtype, device));
        }
        B = new Parameter(zeros([outFeatures, rank], dtype: dtype, device: device));
        register_parameter("lora_A", A);
        register_parameter("lora_B", B);
    }

    /// <summary>lora_A.weight [r, in].</summary>
    public Parameter A { get; }

    /// <summary>lora_B.weight [out, r].</summary>
    public Parameter B { get; }

    /// <summary>Rank r.</summary>
    public int Rank { get; }

    /// <summary>lora_alpha.</summary>
    public double Alpha { get; }

    /// <summary>lora_dropout.</summary>
    public double Dropout { get; }

    /// <summary>alpha / r, the factor on B·A.</summary>
    public double Scaling => Alpha / Rank;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = training && Dropout > 0 ? F.dropout(x, Dropout, training: true) : x;
        return F.linear(F.linear(input, A), B).mul_(Scaling).MoveToOuterDisposeScope();
    }

    /// <summary>The dense update (alpha / r) · B·A [out, in], for merging into the base weight.</summary>
    public Tensor Delta() => matmul(B, A).mul_(Scaling);
}
