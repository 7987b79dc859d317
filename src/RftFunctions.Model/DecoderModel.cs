using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace RftFunctions.Model;

// The policy: a Llama / Qwen2 / Qwen3 decoder-only transformer, read top to bottom like nanoGPT's model.py.
// Module and parameter names are registered explicitly with the Hugging Face names, so state_dict() keys are exactly
// the keys of a transformers checkpoint (model.layers.N.self_attn.q_proj.weight, ...). Parameters are created on
// the requested device and dtype from the start: modules are never moved with .to(), which keeps every field and
// every registered parameter the same tensor.

/// <summary>Root mean square layer norm; statistics in fp32 whatever the model dtype (as transformers does).</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    private readonly double _eps;

    /// <summary>Creates a norm over the last dimension of width <paramref name="size"/>.</summary>
    public RmsNorm(long size, double eps, Device device, ScalarType dtype) : base(nameof(RmsNorm))
    {
        _eps = eps;
        _weight = new Parameter(ones(size, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The learned scale.</summary>
    public Parameter Weight => _weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * rsqrt(x32.pow(2).mean([-1], keepdim: true) + _eps);
        return (_weight * normed.to(x.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A linear projection (<c>weight</c> [out, in], optional <c>bias</c>) that can carry a LoRA adapter. The adapter is
/// deliberately not a registered submodule: the model's state_dict stays the pure Hugging Face base layout, and the
/// adapter is saved separately in PEFT layout.
/// </summary>
public sealed class LinearProjection : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;
    [ComponentName(Name = "bias")]
    private readonly Parameter? _bias;

    /// <summary>Creates a projection from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>.</summary>
    public LinearProjection(long inFeatures, long outFeatures, bool bias, Device device, ScalarType dtype) : base(nameof(LinearProjection))
    {
        _weight = new Parameter(empty(outFeatures, inFeatures, dtype: dtype, device: device));
        if (bias) _bias = new Parameter(zeros(outFeatures, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The [out, in] weight.</summary>
    public Parameter Weight => _weight;

    /// <summary>The bias, where the architecture has one.</summary>
    public Parameter? Bias => _bias;

    /// <summary>Input width.</summary>
    public long InFeatures => _weight.shape[1];

    /// <summary>Output width.</summary>
    public long OutFeatures => _weight.shape[0];

    /// <summary>The attached LoRA adapter, if any (see <see cref="LoraAdapter"/>).</summary>
    public LoraAdapter? Adapter { get; set; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var y = F.linear(x, _weight, _bias);
        if (Adapter is null) return y;
        // The adapter is not a registered submodule, so train()/eval() do not reach it: it follows its projection.
        if (Adapter.training != training) Adapter.train(training);
        return y.add_(Adapter.call(x));
    }
}

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class SwiGluMlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")]
    private readonly LinearProjection _gateProj;
    [ComponentName(Name = "up_proj")]
    private readonly LinearProjection _upProj;
    [ComponentName(Name = "down_proj")]
    private readonly LinearProjection _downProj;

    /// <summary>Creates the MLP.</summary>
    public SwiGluMlp(ModelConfig c, Device device, ScalarType dtype) : base(nameof(SwiGluMlp))
    {
        _gateProj = new LinearProjection(c.HiddenSize, c.IntermediateSize, false, device, dtype);
        _upProj = new LinearProjection(c.HiddenSize, c.IntermediateSize, false, device, dtype);
        _downProj = new LinearProjection(c.IntermediateSize, c.HiddenSize, false, device, dtype);
        RegisterComponents();
    }

    /// <summary>gate_proj.</summary>
    public LinearProjection GateProj => _gateProj;

    /// <summary>up_proj.</summary>
    public LinearProjection UpProj => _upProj;

    /// <summary>down_proj.</summary>
    public LinearProjection DownProj => _downProj;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return DownProj.call(F.silu(GateProj.call(x)).mul_(UpProj.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Grouped-query self-attention with RoPE through scaled_dot_product_attention. Two TorchSharp pitfalls shape it:
/// SDPA has no GQA option (K/V heads are repeated, or queries grouped, by hand) and its <c>is_casual</c> aligns the
/// causal mask top-left, which is wrong whenever queries are fewer than keys (KV cache), so an explicit mask is used
/// there.
/// </summary>
public sealed class Attention : nn.Module
{
    [ComponentName(Name = "q_proj")]
    private readonly LinearProjection _qProj;
    [ComponentName(Name = "k_proj")]
    private readonly LinearProjection _kProj;
    [ComponentName(Name = "v_proj")]
    private readonly LinearProjection _vProj;
    [ComponentName(Name = "o_proj")]
    private readonly LinearProjection _oProj;
    [ComponentName(Name = "q_norm")]
    private readonly RmsNorm? _qNorm;
    [ComponentName(Name = "k_norm")]
    private readonly RmsNorm? _kNorm;
    private readonly ModelConfig _c;

    /// <summary>Creates the attention block of one layer.</summary>
    public Attention(ModelConfig c, Device device, ScalarType dtype) : base(nameof(Attention))
    {
        _c = c;
        _qProj = new LinearProjection(c.HiddenSize, c.NumAttentionHeads * c.HeadDim, c.AttentionBias, device, dtype);
        _kProj = new LinearProjection(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, c.AttentionBias, device, dtype);
        _vProj = new LinearProjection(c.HiddenSize, c.NumKeyValueHeads * c.HeadDim, c.AttentionBias, device, dtype);
        _oProj = new LinearProjection(c.NumAttentionHeads * c.HeadDim, c.HiddenSize, false, device, dtype);
        if (c.QkNorm)
        {
            _qNorm = new RmsNorm(c.HeadDim, c.RmsNormEps, device, dtype);
            _kNorm = new RmsNorm(c.HeadDim, c.RmsNormEps, device, dtype);
        }
    }

    /// <summary>q_proj.</summary>
    public LinearProjection QProj => _qProj;

    /// <summary>k_proj.</summary>
    public LinearProjection KProj => _kProj;

    /// <summary>v_proj.</summary>
    public LinearProjection VProj => _vProj;

    /// <summary>o_proj.</summary>
    public LinearProjection OProj => _oProj;

    /// <summary>q_norm.</summary>
    public RmsNorm? QNorm => _qNorm;

    /// <summary>k_norm.</summary>
    public RmsNorm? KNorm => _kNorm;

    /// <summary>Attends <paramref name="x"/> [B, T, hidden] to itself and to the cached past.</summary>
    /// <param name="x">Normed hidden states of the new tokens.</param>
    /// <param name="rope">cos and sin [B, 1, T, head_dim] for the new tokens' positions.</param>
    /// <param name="mask">Boolean [B, 1, T, past+T] (true = may attend), or null for plain causal attention.</param>
    /// <param name="cache">This layer's cache slot, or null.</param>
    public Tensor Forward(Tensor x, (Tensor Cos, Tensor Sin) rope, Tensor? mask, KvCache.LayerCache? cache)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], t = x.shape[1];
        int h = _c.NumAttentionHeads, kvh = _c.NumKeyValueHeads, d = _c.HeadDim;

        var q = QProj.call(x).view(b, t, h, d);
        var k = KProj.call(x).view(b, t, kvh, d);
        var v = VProj.call(x).view(b, t, kvh, d).transpose(1, 2);
        if (QNorm is not null) q = QNorm.call(q);
        if (KNorm is not null) k = KNorm.call(k);
        q = ApplyRope(q.transpose(1, 2), rope);
        k = ApplyRope(k.transpose(1, 2), rope);

        if (cache is not null) (k, v) = cache.Append(k, v);

        Tensor y;
        var groups = h / kvh;
        if (t == 1 && groups > 1)
        {
            // One-token decode: a single query needs no causal mask, so grouping the query heads of each K/V head
            // into the query-length axis gives GQA without copying the cached K/V `groups` times per step.
            var grouped = q.reshape(b, kvh, groups, d);
            y = F.scaled_dot_product_attention(grouped, k, v, mask).reshape(b, h, 1, d);
        }
        else
        {
            if (groups > 1)
            {
                k = RepeatKv(k, groups);
                v = RepeatKv(v, groups);
            }
            y = mask is null
                ? F.scaled_dot_product_attention(q, k, v, is_casual: t > 1)
                : F.scaled_dot_product_attention(q, k, v, mask);
        }
        y = y.transpose(1, 2).reshape(b, t, h * d);
        return OProj.call(y).MoveToOuterDisposeScope();
    }

    private static Tensor RepeatKv(Tensor kv, int groups)
    {
        long b = kv.shape[0], n = kv.shape[1], t = kv.shape[2], d = kv.shape[3];
        return kv.unsqueeze(2).expand(b, n, groups, t, d).reshape(b, n * groups, t, d);
    }

    private static Tensor ApplyRope(Tensor x, (Tensor Cos, Tensor Sin) rope)
    {
        var half = x.shape[^1] / 2;
        var rotated = cat([x[.., .., .., (int)half..].neg(), x[.., .., .., ..(int)half]], -1);
        return x * rope.Cos + rotated * rope.Sin;
    }
}

/// <summary>One pre-norm decoder layer: attention then SwiGLU MLP, each around a residual.</summary>
public sealed class DecoderLayer : nn.Module
{
    [ComponentName(Name = "self_attn")]
    private readonly Attention _selfAttn;
    [ComponentName(Name = "mlp")]
    private readonly SwiGluMlp _mlp;
    [ComponentName(Name = "input_layernorm")]
    private readonly RmsNorm _inputLayernorm;
    [ComponentName(Name = "post_attention_layernorm")]
    private readonly RmsNorm _postAttentionLayernorm;

    /// <summary>Creates the layer.</summary>
    public DecoderLayer(ModelConfig c, Device device, ScalarType dtype) : base(nameof(DecoderLayer))
    {
        _selfAttn = new Attention(c, device, dtype);
        _mlp = new SwiGluMlp(c, device, dtype);
        _inputLayernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device, dtype);
        _postAttentionLayernorm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <summary>self_attn.</summary>
    public Attention SelfAttn => _selfAttn;

    /// <summary>mlp.</summary>
    public SwiGluMlp Mlp => _mlp;

    /// <summary>input_layernorm.</summary>
    public RmsNorm InputLayernorm => _inputLayernorm;

    /// <summary>post_attention_layernorm.</summary>
    public RmsNorm PostAttentionLayernorm => _postAttentionLayernorm;

    /// <summary>Runs the layer; see <see cref="Attention.Forward"/> for the arguments.</summary>
    public Tensor Forward(Tensor x, (Tensor Cos, Tensor Sin) rope, Tensor? mask, KvCache.LayerCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = x + SelfAttn.Forward(InputLayernorm.call(x), rope, mask, cache);
        return (h + Mlp.call(PostAttentionLayernorm.call(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>The transformer trunk (<c>model.*</c> in Hugging Face keys): embeddings, layers, final norm.</summary>
public sealed class DecoderTrunk : nn.Module
{
    [ComponentName(Name = "embed_tokens")]
    private readonly WeightTable _embedTokens;
    [ComponentName(Name = "layers")]
    private readonly ModuleList<DecoderLayer> _layers;
    [ComponentName(Name = "norm")]
    private readonly RmsNorm _norm;

    /// <summary>Creates the trunk.</summary>
    public DecoderTrunk(ModelConfig c, Device device, ScalarType dtype) : base(nameof(DecoderTrunk))
    {
        _embedTokens = new WeightTable(c.VocabSize, c.HiddenSize, device, dtype);
        _layers = nn.ModuleList([.. Enumerable.Range(0, c.NumHiddenLayers).Select(_ => new DecoderLayer(c, device, dtype))]);
        _norm = new RmsNorm(c.HiddenSize, c.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <summary>embed_tokens.weight [vocab, hidden].</summary>
    public Parameter EmbedTokens => _embedTokens.Weight;

    /// <summary>layers.N.</summary>
    public ModuleList<DecoderLayer> Layers => _layers;

    /// <summary>norm.</summary>
    public RmsNorm Norm => _norm;
}

/// <summary>A module holding one [rows, width] matrix named <c>weight</c>: the embeddings, or an untied LM head.</summary>
public sealed class WeightTable : nn.Module
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    /// <summary>Creates an uninitialised [rows, width] table.</summary>
    public WeightTable(long rows, long width, Device device, ScalarType dtype) : base(nameof(WeightTable))
    {
        _weight = new Parameter(empty(rows, width, dtype: dtype, device: device));
        RegisterComponents();
    }

    /// <summary>The matrix.</summary>
    public Parameter Weight => _weight;
}

/// <summary>
/// A causal language model (<c>LlamaForCausalLM</c>, <c>Qwen2ForCausalLM</c>, <c>Qwen3ForCausalLM</c>): the trunk
/// plus the LM head (tied to the embeddings where the config says so). <see cref="Forward"/> returns final hidden
/// states; <see cref="Logits"/> projects them, so callers that only need some positions (sampling, chunked scoring)
/// never materialise [B, T, vocab].
/// </summary>
public sealed class DecoderModel : nn.Module
{
    [ComponentName(Name = "model")]
    private readonly DecoderTrunk _trunk;
    [ComponentName(Name = "lm_head")]
    private readonly WeightTable? _lmHead;
    // Held outside any Tensor field so RegisterComponents cannot make it a persistent buffer: transformers does not
    // store inv_freq, and strict loading must not expect it.
    private readonly RotaryFrequencies _rope;

    /// <summary>Creates a model with uninitialised weights; use <see cref="Create"/> or <see cref="ModelFolder.Load(string, Device?, ScalarType)"/>.</summary>
    public DecoderModel(ModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32) : base(nameof(DecoderModel))
    {
        config.Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"unsupported model dtype {dtype} (float32, bfloat16, float16)", nameof(dtype));
        Config = config;
        Device = device ?? CPU;
        Dtype = dtype;
        _trunk = new DecoderTrunk(config, Device, dtype);
        if (!config.TieWordEmbeddings) _lmHead = new WeightTable(config.VocabSize, config.HiddenSize, Device, dtype);
        _rope = new RotaryFrequencies(tensor(RopeInverseFrequencies(config), device: Device).DetachFromDisposeScope());
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public ModelConfig Config { get; }

    /// <summary>Where the weights live.</summary>
    public Device Device { get; }

    /// <summary>Weight dtype (activations follow it; norms and softmax statistics run in fp32).</summary>
    public ScalarType Dtype { get; }

    /// <summary>The <c>model.*</c> trunk.</summary>
    /// <summary>model.</summary>
    public DecoderTrunk Trunk => _trunk;

    /// <summary>The [vocab, hidden] matrix that turns hidden states into logits (the embeddings when tied).</summary>
    public Tensor LmHeadWeight => _lmHead?.Weight ?? Trunk.EmbedTokens;

    /// <summary>Creates a model and initialises it as transformers does (normal(0, 0.02), zero bias, unit norms).</summary>
    public static DecoderModel Create(ModelConfig config, long seed, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var model = new DecoderModel(config, device, dtype);
        model.InitializeWeights(seed);
        return model;
    }

    /// <summary>Re-initialises every weight from <paramref name="seed"/>; the same seed gives the same weights.</summary>
    public void InitializeWeights(long seed)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed, CPU);
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1.0);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else
            {
                // Drawn on the CPU in fp32 so the same seed gives the same model on every device and dtype.
                using var values = empty(p.shape, ScalarType.Float32).normal_(0.0, 0.02, generator);
                p.copy_(values);
            }
        }
    }

    /// <summary>Final hidden states [B, T, hidden] of <paramref name="inputIds"/> [B, T].</summary>
    /// <param name="inputIds">Token ids, int64.</param>
    /// <param name="attentionMask">Optional [B, past+T] of 1 (real token) / 0 (padding), covering the cached past.</param>
    /// <param name="positionIds">Optional [B, T] positions; by default derived from the mask (left padding aware).</param>
    /// <param name="cache">A KV cache to read the past from and append this chunk to.</param>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0], t = inputIds.shape[1];
        var past = cache?.Length ?? 0;
        if (cache is not null && past + t > cache.Capacity)
            throw new InvalidOperationException($"KV cache capacity {cache.Capacity} exceeded ({past} cached + {t} new tokens)");

        positionIds ??= attentionMask is null
            ? arange(past, past + t, dtype: ScalarType.Int64, device: Device).unsqueeze(0).expand(b, t)
            : (attentionMask.to(ScalarType.Int64).cumsum(1) - 1).clamp_min(0)[.., (int)past..];
        var rope = RopeTables(positionIds);
        var mask = AttentionMask(attentionMask, b, t, past);

        var x = Trunk.EmbedTokens.index_select(0, inputIds.reshape(-1)).view(b, t, -1);
        for (var i = 0; i < Trunk.Layers.Count; i++)
        {
            x = Trunk.Layers[i].Forward(x, rope, mask, cache?.Layers[i]);
        }
        cache?.Advance(t);
        return Trunk.Norm.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [.., vocab] of hidden states [.., hidden], in the model dtype.</summary>
    public Tensor Logits(Tensor hidden) => F.linear(hidden, LmHeadWeight);

    /// <summary>A KV cache for <paramref name="batch"/> rows of up to <paramref name="capacity"/> tokens.</summary>
    public KvCache NewKvCache(long batch, long capacity) => new(Config, batch, capacity, Device, Dtype);

    /// <summary>
    /// Parameters the optimiser should update: the attached LoRA adapters' when there are any (base weights are then
    /// frozen), otherwise every parameter that requires a gradient.
    /// </summary>
    public IReadOnlyList<Parameter> TrainableParameters()
    {
        var adapters = Projections().Select(p => p.Projection.Adapter).OfType<LoraAdapter>().ToList();
        return adapters.Count > 0
            ? [.. adapters.SelectMany(a => new[] { a.A, a.B })]
            : [.. parameters().Where(p => p.requires_grad)];
    }

    /// <summary>Every linear projection of the model with its Hugging Face module path (model.layers.N.self_attn.q_proj).</summary>
    public IEnumerable<(string Path, LinearProjection Projection)> Projections()
    {
        for (var i = 0; i < Trunk.Layers.Count; i++)
        {
            var layer = Trunk.Layers[i];
            var prefix = $"model.layers.{i}.";
            yield return (prefix + "self_attn.q_proj", layer.SelfAttn.QProj);
            yield return (prefix + "self_attn.k_proj", layer.SelfAttn.KProj);
            yield return (prefix + "self_attn.v_proj", layer.SelfAttn.VProj);
            yield return (prefix + "self_attn.o_proj", layer.SelfAttn.OProj);
            yield return (prefix + "mlp.gate_proj", layer.Mlp.GateProj);
            yield return (prefix + "mlp.up_proj", layer.Mlp.UpProj);
            yield return (prefix + "mlp.down_proj", layer.Mlp.DownProj);
        }
    }

    /// <summary>Number of parameters in the base model (tied embeddings counted once).</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, projection) in Projections()) projection.Adapter?.Dispose();
            _rope.InverseFrequencies.Dispose();
        }
        base.Dispose(disposing);
    }

    private (Tensor Cos, Tensor Sin) RopeTables(Tensor positionIds)
    {
        // As transformers: angles in fp32, then cos/sin cast to the activation dtype.
        var freqs = positionIds.to(ScalarType.Float32).unsqueeze(-1) * _rope.InverseFrequencies;
        var emb = cat([freqs, freqs], -1).unsqueeze(1);
        return (emb.cos().to(Dtype), emb.sin().to(Dtype));
    }

    private Tensor? AttentionMask(Tensor? attentionMask, long b, long t, long past)
    {
        // Plain causal attention over a fresh, unpadded batch: SDPA's is_casual is right when queries == keys.
        var padded = attentionMask is not null && attentionMask.to(ScalarType.Bool).logical_not().any().item<bool>();
        if (!padded && past == 0) return null;
        if (!padded && t == 1) return null;

        var keys = arange(past + t, device: Device);
        var queries = arange(past, past + t, device: Device).unsqueeze(-1);
        var allowed = keys.unsqueeze(0) <= queries;                                // [T, past+T] causal
        var mask = allowed.unsqueeze(0).unsqueeze(0).expand(b, 1, t, past + t);
        if (padded)
        {
            var valid = attentionMask!.to(ScalarType.Bool).view(b, 1, 1, past + t);
            // A padding query would attend to nothing and softmax would give NaN: let every query see itself.
            var self = (keys.unsqueeze(0) == queries).unsqueeze(0).unsqueeze(0);
            mask = mask.logical_and(valid).logical_or(self);
        }
        return mask;
    }

    private static float[] RopeInverseFrequencies(ModelConfig c)
    {
        var half = c.HeadDim / 2;
        var inv = new float[half];
        for (var i = 0; i < half; i++)
        {
            var f = 1.0 / Math.Pow(c.RopeTheta, 2.0 * i / c.HeadDim);
            if (c.RopeScaling is { } s)
            {
                var lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                var highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                var wavelen = 2 * Math.PI / f;
                if (wavelen > lowWavelen) f /= s.Factor;
                else if (wavelen >= highWavelen)
                {
                    var smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    f = (1 - smooth) * f / s.Factor + smooth * f;
                }
            }
            inv[i] = (float)f;
        }
        return inv;
    }

    private sealed record RotaryFrequencies(Tensor InverseFrequencies);
}
