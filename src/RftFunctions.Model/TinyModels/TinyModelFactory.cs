using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>The size knobs of a tiny model; defaults give a ~0.1M-parameter model that runs in milliseconds on a CPU.</summary>
/// <param name="HiddenSize">Residual width.</param>
/// <param name="IntermediateSize">MLP width.</param>
/// <param name="Layers">Decoder layers.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KeyValueHeads">Key/value heads (fewer than heads exercises grouped-query attention).</param>
/// <param name="HeadDim">Per-head width.</param>
/// <param name="VocabSize">Vocabulary; at least <see cref="ByteTokenizer.VocabSize"/>.</param>
/// <param name="MaxPositionEmbeddings">Configured context length.</param>
public sealed record TinyModelSize(
    int HiddenSize = 64,
    int IntermediateSize = 128,
    int Layers = 2,
    int Heads = 4,
    int KeyValueHeads = 2,
    int HeadDim = 16,
    int VocabSize = 264,
    int MaxPositionEmbeddings = 1024);

/// <summary>
/// Randomly initialised models of any supported architecture, reproducible from a seed, with the byte tokenizer.
/// Each architecture keeps its distinguishing features (Llama: untied head, Llama 3 RoPE scaling; Qwen2: q/k/v
/// bias; Qwen3: q/k norm and tied embeddings), so tests over the tiny models cover every code path.
/// </summary>
public static class TinyModelFactory
{
    /// <summary>The config of a tiny model of <paramref name="architecture"/>.</summary>
    public static ModelConfig Config(ModelArchitecture architecture, TinyModelSize? size = null)
    {
        size ??= new TinyModelSize();
        if (size.VocabSize < ByteTokenizer.VocabSize)
            throw new ArgumentException($"vocab size {size.VocabSize} is smaller than the byte tokenizer's {ByteTokenizer.VocabSize}", nameof(size));
        return new ModelConfig
        {
            Architecture = architecture,
            VocabSize = size.VocabSize,
            HiddenSize = size.HiddenSize,
            IntermediateSize = size.IntermediateSize,
            NumHiddenLayers = size.Layers,
            NumAttentionHeads = size.Heads,
            NumKeyValueHeads = size.KeyValueHeads,
            HeadDim = size.HeadDim,
            RopeTheta = architecture == ModelArchitecture.Llama ? 500000.0 : 1000000.0,
            RopeScaling = architecture == ModelArchitecture.Llama ? new Llama3RopeScaling(8.0, 1.0, 4.0, 256) : null,
            RmsNormEps = 1e-6,
            TieWordEmbeddings = architecture == ModelArchitecture.Qwen3,
            AttentionBias = architecture == ModelArchitecture.Qwen2,
            QkNorm = architecture == ModelArchitecture.Qwen3,
            MaxPositionEmbeddings = size.MaxPositionEmbeddings,
            BosTokenId = null,
            EosTokenIds = [ByteTokenizer.EndOfText, ByteTokenizer.ImEnd],
            PadTokenId = ByteTokenizer.EndOfText,
        };
    }

    /// <summary>A tiny model whose weights are a function of <paramref name="seed"/> alone, and its tokenizer.</summary>
    public static (DecoderModel Model, ByteTokenizer Tokenizer) Create(ModelArchitecture architecture, long seed,
        TinyModelSize? size = null, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        var model = DecoderModel.Create(Config(architecture, size), seed, device, dtype);
        return (model, new ByteTokenizer());
    }

    /// <summary>Creates a tiny model and saves it as a Hugging Face folder (weights, config, tokenizer files).</summary>
    public static void CreateFolder(string directory, ModelArchitecture architecture, long seed, TinyModelSize? size = null,
        ScalarType dtype = ScalarType.Float32)
    {
        var (model, _) = Create(architecture, seed, size, dtype: dtype);
        using (model)
        {
            ModelFolder.Save(model, directory);
        }
        ByteTokenizer.WriteTokenizerFiles(directory);
    }
}
