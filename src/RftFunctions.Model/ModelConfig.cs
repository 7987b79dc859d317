using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Model;

/// <summary>The decoder families this engine implements; each maps to a Hugging Face <c>*ForCausalLM</c> class.</summary>
public enum ModelArchitecture
{
    /// <summary><c>LlamaForCausalLM</c> (model_type <c>llama</c>).</summary>
    Llama,

    /// <summary><c>Qwen2ForCausalLM</c>: bias on the q/k/v projections.</summary>
    Qwen2,

    /// <summary><c>Qwen3ForCausalLM</c>: per-head RMSNorm on queries and keys.</summary>
    Qwen3,
}

/// <summary>Llama 3 style RoPE frequency scaling (<c>rope_scaling.rope_type = "llama3"</c>).</summary>
/// <param name="Factor">How much the context was stretched.</param>
/// <param name="LowFreqFactor">Wavelengths longer than original/low_freq_factor are fully scaled.</param>
/// <param name="HighFreqFactor">Wavelengths shorter than original/high_freq_factor are left alone.</param>
/// <param name="OriginalMaxPositionEmbeddings">The context length the base model was trained on.</param>
public sealed record Llama3RopeScaling(double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);

/// <summary>
/// Everything the decoder needs to know about its shape, read from a Hugging Face <c>config.json</c>.
/// Unsupported architectures or field values are rejected with a <see cref="ModelConfigException"/> naming them,
/// rather than silently producing a different model.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Which decoder family.</summary>
    public required ModelArchitecture Architecture { get; init; }

    /// <summary>Rows of the embedding and of the LM head.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Width of the residual stream.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Width of the SwiGLU MLP.</summary>
    public required int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>Query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Key/value heads (grouped-query attention when fewer than query heads).</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Per-head width (Qwen3 sets it independently of hidden_size / heads).</summary>
    public required int HeadDim { get; init; }

    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Optional Llama 3 RoPE scaling.</summary>
    public Llama3RopeScaling? RopeScaling { get; init; }

    /// <summary>RMSNorm epsilon.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Whether the LM head reuses the embedding matrix (no <c>lm_head.weight</c> is stored).</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Bias on q/k/v projections (always on for Qwen2; <c>attention_bias</c> elsewhere).</summary>
    public bool AttentionBias { get; init; }

    /// <summary>Per-head RMSNorm on q and k before RoPE (Qwen3).</summary>
    public bool QkNorm { get; init; }

    /// <summary>Longest position the model was configured for.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary>Beginning-of-sequence id, if any.</summary>
    public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence ids (config.json may give one id or a list).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Padding id, if the config names one.</summary>
    public int? PadTokenId { get; init; }

    /// <summary>The dtype the checkpoint was saved in (<c>torch_dtype</c>), e.g. "bfloat16"; informational.</summary>
    public string TorchDtype { get; init; } = "float32";

    /// <summary>Query heads per key/value head.</summary>
    public int KeyValueGroups => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>Reads and validates <paramref name="path"/> (a config.json file).</summary>
    /// <exception cref="ModelConfigException">The file is missing, not JSON, or names something unsupported.</exception>
    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelConfigException($"{path}: file not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json) as JsonObject ?? throw new ModelConfigException($"{source}: the top level is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{source}: not valid JSON ({e.Message})", e);
        }
        return new ConfigReader(root, source).Read();
    }

    /// <summary>Writes a config.json that Hugging Face transformers can open.</summary>
    public string ToJson()
    {
        var (architecture, modelType) = Architecture switch
        {
            ModelArchitecture.Llama => ("LlamaForCausalLM", "llama"),
            ModelArchitecture.Qwen2 => ("Qwen2ForCausalLM", "qwen2"),
            _ => ("Qwen3ForCausalLM", "qwen3"),
        };
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = modelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["torch_dtype"] = TorchDtype,
            ["use_cache"] = true,
        };
        if (Architecture != ModelArchitecture.Qwen2) o["attention_bias"] = AttentionBias;
        if (Architecture == ModelArchitecture.Qwen2) o["use_sliding_window"] = false;
        if (RopeScaling is { } s)
        {
            o["rope_scaling"] = new JsonObject
            {
                ["rope_type"] = "llama3",
                ["factor"] = s.Factor,
                ["low_freq_factor"] = s.LowFreqFactor,
                ["high_freq_factor"] = s.HighFreqFactor,
                ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
            };
        }
        if (BosTokenId is { } bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray([.. EosTokenIds.Select(e => (JsonNode)e)]);
        if (PadTokenId is { } pad) o["pad_token_id"] = pad;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Checks the shape constraints the decoder relies on.</summary>
    /// <exception cref="ModelConfigException">A field is out of range or inconsistent with another.</exception>
    public void Validate(string source = "config")
    {
        void Positive(int value, string field)
        {
            if (value <= 0) throw new ModelConfigException($"{source}: {field} must be positive, got {value}");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ModelConfigException($"{source}: num_attention_heads ({NumAttentionHeads}) is not a multiple of num_key_value_heads ({NumKeyValueHeads})");
        if (HeadDim % 2 != 0) throw new ModelConfigException($"{source}: head_dim must be even for RoPE, got {HeadDim}");
        if (RmsNormEps <= 0) throw new ModelConfigException($"{source}: rms_norm_eps must be positive, got {RmsNormEps}");
        if (RopeTheta <= 0) throw new ModelConfigException($"{source}: rope_theta must be positive, got {RopeTheta}");
    }

    /// <summary>Reads fields one by one so that every error names the field it is about.</summary>
    private sealed class ConfigReader(JsonObject root, string source)
    {
        public ModelConfig Read()
        {
            var architecture = ReadArchitecture();
            var hidden = RequiredInt("hidden_size");
            var heads = RequiredInt("num_attention_heads");
            if (heads <= 0) throw Error("num_attention_heads", $"must be positive, got {heads}");

            var act = OptionalString("hidden_act") ?? "silu";
            if (act != "silu") throw Error("hidden_act", $"unsupported value \"{act}\" (only \"silu\")");
            if (OptionalBool("mlp_bias") == true) throw Error("mlp_bias", "unsupported value true");
            if (architecture == ModelArchitecture.Qwen2 && OptionalBool("use_sliding_window") == true)
                throw Error("use_sliding_window", "unsupported value true (sliding-window attention is not implemented)");

            var config = new ModelConfig
            {
                Architecture = architecture,
                VocabSize = RequiredInt("vocab_size"),
                HiddenSize = hidden,
                IntermediateSize = RequiredInt("intermediate_size"),
                NumHiddenLayers = RequiredInt("num_hidden_layers"),
                NumAttentionHeads = heads,
                NumKeyValueHeads = OptionalInt("num_key_value_heads") ?? heads,
                HeadDim = OptionalInt("head_dim") ?? hidden / heads,
                RopeTheta = OptionalDouble("rope_theta") ?? 10000.0,
                RopeScaling = ReadRopeScaling(),
                RmsNormEps = OptionalDouble("rms_norm_eps") ?? 1e-6,
                TieWordEmbeddings = OptionalBool("tie_word_embeddings") ?? false,
                AttentionBias = architecture == ModelArchitecture.Qwen2 || (OptionalBool("attention_bias") ?? false),
                QkNorm = architecture == ModelArchitecture.Qwen3,
                MaxPositionEmbeddings = OptionalInt("max_position_embeddings") ?? 2048,
                BosTokenId = OptionalInt("bos_token_id"),
                EosTokenIds = ReadEos(),
                PadTokenId = OptionalInt("pad_token_id"),
                TorchDtype = OptionalString("torch_dtype") ?? OptionalString("dtype") ?? "float32",
            };
            config.Validate(source);
            return config;
        }

        private ModelArchitecture ReadArchitecture()
        {
            string? name = null;
            if (root["architectures"] is JsonArray { Count: > 0 } list)
            {
                name = list[0]?.GetValue<string>();
            }
            var modelType = OptionalString("model_type");
            return (name, modelType) switch
            {
                ("LlamaForCausalLM", _) or (null, "llama") => ModelArchitecture.Llama,
                ("Qwen2ForCausalLM", _) or (null, "qwen2") => ModelArchitecture.Qwen2,
                ("Qwen3ForCausalLM", _) or (null, "qwen3") => ModelArchitecture.Qwen3,
                (null, null) => throw Error("architectures", "missing (and no model_type either)"),
                (null, _) => throw Error("model_type", $"unsupported model type \"{modelType}\" (supported: llama, qwen2, qwen3)"),
                _ => throw Error("architectures", $"unsupported architecture \"{name}\" (supported: LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)"),
            };
        }

        private Llama3RopeScaling? ReadRopeScaling()
        {
            var node = root["rope_scaling"];
            if (node is null) return null;
            if (node is not JsonObject o) throw Error("rope_scaling", "must be an object or null");
            var type = (o["rope_type"] ?? o["type"])?.GetValue<string>();
            if (type == "default") return null;
            if (type != "llama3") throw Error("rope_scaling.rope_type", $"unsupported value \"{type}\" (supported: llama3, default)");
            double Field(string name) => o[name] is JsonValue v && v.TryGetValue<double>(out var d)
                ? d
                : throw Error($"rope_scaling.{name}", "missing or not a number");
            return new Llama3RopeScaling(Field("factor"), Field("low_freq_factor"), Field("high_freq_factor"),
                (int)Field("original_max_position_embeddings"));
        }

        private IReadOnlyList<int> ReadEos()
        {
            return root["eos_token_id"] switch
            {
                null => [],
                JsonArray a => [.. a.Select((n, i) => n is JsonValue v && v.TryGetValue<int>(out var id) ? id : throw Error($"eos_token_id[{i}]", "not an integer"))],
                JsonValue v when v.TryGetValue<int>(out var id) => [id],
                _ => throw Error("eos_token_id", "must be an integer or a list of integers"),
            };
        }

        private int RequiredInt(string field) => OptionalInt(field) ?? throw Error(field, "missing");

        private int? OptionalInt(string field) => root[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<int>(out var i) => i,
            JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => (int)d,
            var other => throw Error(field, $"expected an integer, got {other.ToJsonString()}"),
        };

        private double? OptionalDouble(string field) => root[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<double>(out var d) => d,
            JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            var other => throw Error(field, $"expected a number, got {other.ToJsonString()}"),
        };

        private bool? OptionalBool(string field) => root[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<bool>(out var b) => b,
            var other => throw Error(field, $"expected true or false, got {other.ToJsonString()}"),
        };

        private string? OptionalString(string field) => root[field] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            var other => throw Error(field, $"expected a string, got {other.ToJsonString()}"),
        };

        private ModelConfigException Error(string field, string problem) => new($"{source}: field \"{field}\" {problem}");
    }
}

/// <summary>A config.json (or model configuration) that cannot be used; the message names the file and field.</summary>
public sealed class ModelConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public ModelConfigException(string message, Exception inner) : base(message, inner) { }
}
