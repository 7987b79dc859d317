using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

public sealed class ModelFolderTests
{
    [Theory]
    [InlineData(ModelArchitecture.Llama)]
    [InlineData(ModelArchitecture.Qwen2)]
    [InlineData(ModelArchitecture.Qwen3)]
    public void State_dict_keys_and_shapes_follow_the_Hugging_Face_layout(ModelArchitecture architecture)
    {
        var (model, _) = TinyModelFactory.Create(architecture, seed: 1, new TinyModelSize(HiddenSize: 32, IntermediateSize: 48, Layers: 1, Heads: 4, KeyValueHeads: 2, HeadDim: 8));
        using var _ = model;
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => string.Join("x", kv.Value.shape));

        var expected = new Dictionary<string, string>
        {
            ["model.embed_tokens.weight"] = "264x32",
            ["model.norm.weight"] = "32",
            ["model.layers.0.input_layernorm.weight"] = "32",
            ["model.layers.0.post_attention_layernorm.weight"] = "32",
            ["model.layers.0.self_attn.q_proj.weight"] = "32x32",
            ["model.layers.0.self_attn.k_proj.weight"] = "16x32",
            ["model.layers.0.self_attn.v_proj.weight"] = "16x32",
            ["model.layers.0.self_attn.o_proj.weight"] = "32x32",
            ["model.layers.0.mlp.gate_proj.weight"] = "48x32",
            ["model.layers.0.mlp.up_proj.weight"] = "48x32",
            ["model.layers.0.mlp.down_proj.weight"] = "32x48",
        };
        if (architecture != ModelArchitecture.Qwen3) expected["lm_head.weight"] = "264x32";
        if (architecture == ModelArchitecture.Qwen2)
        {
            expected["model.layers.0.self_attn.q_proj.bias"] = "32";
            expected["model.layers.0.self_attn.k_proj.bias"] = "16";
            expected["model.layers.0.self_attn.v_proj.bias"] = "16";
        }
        if (architecture == ModelArchitecture.Qwen3)
        {
            expected["model.layers.0.self_attn.q_norm.weight"] = "8";
            expected["model.layers.0.self_attn.k_norm.weight"] = "8";
        }
        Assert.Equal(expected.OrderBy(kv => kv.Key), shapes.OrderBy(kv => kv.Key));
    }

    [Theory]
    [InlineData(ModelArchitecture.Llama, ScalarType.Float32)]
    [InlineData(ModelArchitecture.Qwen2, ScalarType.BFloat16)]
    [InlineData(ModelArchitecture.Qwen3, ScalarType.Float32)]
    public void Save_then_load_is_bit_exact(ModelArchitecture architecture, ScalarType dtype)
    {
        using var dir = new TempDirectory();
        var (model, _) = TinyModelFactory.Create(architecture, seed: 7, dtype: dtype);
        using var _ = model;
        ModelFolder.Save(model, dir.Path);

        using var loaded = ModelFolder.Load(dir.Path, dtype: dtype);

        Assert.Equal((model.Config with { TorchDtype = loaded.Config.TorchDtype }).ToJson(), loaded.Config.ToJson());
        var original = model.state_dict();
        var reloaded = loaded.state_dict();
        Assert.Equal(original.Keys.Order(), reloaded.Keys.Order());
        foreach (var (key, value) in original)
        {
            Assert.Equal(value.dtype, reloaded[key].dtype);
            Assert.True(value.Equals(reloaded[key]), $"{key} differs after save/load");
        }
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5 }).unsqueeze(0);
        Assert.True(model.Logits(model.Forward(ids)).Equals(loaded.Logits(loaded.Forward(ids))));
    }

    [Fact]
    public void Sharded_save_writes_an_index_and_loads_back()
    {
        using var dir = new TempDirectory();
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 3);
        using var _ = model;

        ModelFolder.Save(model, dir.Path, maxShardBytes: 40_000);

        Assert.True(File.Exists(dir.File(ModelFolder.IndexFile)));
        Assert.False(File.Exists(dir.File(ModelFolder.WeightsFile)));
        Assert.True(ModelFolder.WeightFiles(dir.Path).Count > 1);
        using var loaded = ModelFolder.Load(dir.Path);
        foreach (var (key, value) in model.state_dict()) Assert.True(value.Equals(loaded.state_dict()[key]), key);
    }

    [Fact]
    public void Bf16_weights_load_into_an_fp32_model_exactly()
    {
        using var dir = new TempDirectory();
        TinyModelFactory.CreateFolder(dir.Path, ModelArchitecture.Llama, seed: 5, dtype: ScalarType.BFloat16);
        using var bf16 = ModelFolder.Load(dir.Path, dtype: ScalarType.BFloat16);

        using var fp32 = ModelFolder.Load(dir.Path, dtype: ScalarType.Float32);

        foreach (var (key, value) in bf16.state_dict())
        {
            using var widened = value.to(ScalarType.Float32);
            Assert.True(widened.Equals(fp32.state_dict()[key]), key);
        }
        Assert.Equal("bfloat16", ModelConfig.Load(dir.File("config.json")).TorchDtype);
        Assert.True(File.Exists(dir.File("tokenizer.json")));
        Assert.True(File.Exists(dir.File("generation_config.json")));
    }
}
