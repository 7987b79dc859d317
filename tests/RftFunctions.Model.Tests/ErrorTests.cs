using System.Text;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

public sealed class ErrorTests
{
    private const string LlamaConfig = """
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 300, "hidden_size": 32,
         "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2,
         "rope_theta": 500000.0, "rms_norm_eps": 1e-05, "eos_token_id": [1, 2], "bos_token_id": 0,
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
         "tie_word_embeddings": true, "hidden_act": "silu", "torch_dtype": "bfloat16"}
        """;

    [Fact]
    public void A_llama_config_parses_with_defaults_derived_and_eos_as_a_list()
    {
        var c = ModelConfig.Parse(LlamaConfig);

        Assert.Equal(ModelArchitecture.Llama, c.Architecture);
        Assert.Equal(8, c.HeadDim);
        Assert.Equal([1, 2], c.EosTokenIds);
        Assert.Equal(new Llama3RopeScaling(8, 1, 4, 8192), c.RopeScaling);
        Assert.True(c.TieWordEmbeddings);
        Assert.False(c.AttentionBias);
        Assert.Equal(1e-5, c.RmsNormEps);
    }

    [Fact]
    public void Qwen2_and_qwen3_configs_switch_on_their_features()
    {
        var qwen2 = ModelConfig.Parse(LlamaConfig.Replace("LlamaForCausalLM", "Qwen2ForCausalLM").Replace("\"rope_scaling\": {", "\"x\": {"));
        var qwen3 = ModelConfig.Parse(LlamaConfig.Replace("LlamaForCausalLM", "Qwen3ForCausalLM").Replace("\"hidden_size\": 32", "\"hidden_size\": 32, \"head_dim\": 16"));

        Assert.True(qwen2.AttentionBias);
        Assert.False(qwen2.QkNorm);
        Assert.True(qwen3.QkNorm);
        Assert.Equal(16, qwen3.HeadDim);
    }

    [Theory]
    [InlineData("LlamaForCausalLM", "GPT2LMHeadModel", "GPT2LMHeadModel")]
    [InlineData("\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"", "hidden_act")]
    [InlineData("\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"", "yarn")]
    [InlineData("\"hidden_size\": 32,", "", "hidden_size")]
    [InlineData("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3", "num_key_value_heads")]
    [InlineData("\"vocab_size\": 300", "\"vocab_size\": \"many\"", "vocab_size")]
    public void Bad_configs_fail_naming_the_field_or_value(string find, string replace, string named)
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelConfig.Parse(LlamaConfig.Replace(find, replace), "some/config.json"));

        Assert.Contains(named, e.Message);
        Assert.Contains("some/config.json", e.Message);
    }

    [Fact]
    public void A_missing_model_folder_file_is_reported_by_path()
    {
        using var dir = new TempDirectory();

        var config = Assert.Throws<ModelConfigException>(() => ModelFolder.Load(dir.Path));
        Assert.Contains("config.json", config.Message);

        File.WriteAllText(dir.File("config.json"), TinyModelFactory.Config(ModelArchitecture.Llama).ToJson());
        var weights = Assert.Throws<SafetensorsException>(() => ModelFolder.Load(dir.Path));
        Assert.Contains("model.safetensors", weights.Message);

        var file = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Load(dir.File("nope.safetensors")));
        Assert.Contains("nope.safetensors", file.Message);
    }

    [Fact]
    public void A_truncated_file_names_the_file_and_the_tensor_that_runs_past_the_end()
    {
        using var dir = new TempDirectory();
        var path = dir.File("w.safetensors");
        using (var a = ones(4, 4))
        using (var b = ones(8, 8))
        {
            SafetensorsFile.Save(path, [new("a", a), new("b", b)]);
        }
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Load(path));

        Assert.Contains("w.safetensors", e.Message);
        Assert.Contains("\"b\"", e.Message);
        Assert.Contains("truncated", e.Message);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated", Assert.Throws<SafetensorsException>(() => SafetensorsFile.Load(path)).Message);
    }

    [Fact]
    public void A_corrupt_header_is_reported()
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"a\": {\"dtype\": \"F32\", \"sha");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header, .. new byte[16]]);

        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Load(path));
        Assert.Contains("corrupt header", e.Message);
        Assert.Contains("bad.safetensors", e.Message);

        File.WriteAllBytes(path, [.. BitConverter.GetBytes(long.MaxValue), .. new byte[16]]);
        Assert.Contains("corrupt header", Assert.Throws<SafetensorsException>(() => SafetensorsFile.Load(path)).Message);
    }

    [Fact]
    public void Offsets_that_disagree_with_dtype_and_shape_are_reported_for_the_tensor()
    {
        using var dir = new TempDirectory();
        var path = dir.File("x.safetensors");
        var header = Encoding.UTF8.GetBytes("{\"w\": {\"dtype\": \"BF16\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}}");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((long)header.Length), .. header, .. new byte[24]]);

        var e = Assert.Throws<SafetensorsException>(() => SafetensorsFile.Load(path));

        Assert.Contains("\"w\"", e.Message);
        Assert.Contains("12 bytes", e.Message);
    }

    [Fact]
    public void A_weight_of_the_wrong_dtype_or_shape_names_the_tensor_and_file()
    {
        using var dir = new TempDirectory();
        TinyModelFactory.CreateFolder(dir.Path, ModelArchitecture.Qwen2, seed: 1);
        var weights = SafetensorsFile.Load(dir.File("model.safetensors"));
        const string Key = "model.layers.1.self_attn.k_proj.bias";

        var original = weights[Key];
        weights[Key] = original.to(ScalarType.Int32);
        SafetensorsFile.Save(dir.File("model.safetensors"), weights);
        var dtype = Assert.Throws<SafetensorsException>(() => ModelFolder.Load(dir.Path));
        Assert.Contains(Key, dtype.Message);
        Assert.Contains("I32", dtype.Message);
        Assert.Contains("model.safetensors", dtype.Message);

        weights[Key] = zeros(7);
        SafetensorsFile.Save(dir.File("model.safetensors"), weights);
        var shape = Assert.Throws<SafetensorsException>(() => ModelFolder.Load(dir.Path));
        Assert.Contains(Key, shape.Message);
        Assert.Contains("[7]", shape.Message);

        weights.Remove(Key);
        SafetensorsFile.Save(dir.File("model.safetensors"), weights);
        Assert.Contains(Key, Assert.Throws<SafetensorsException>(() => ModelFolder.Load(dir.Path)).Message);

        // A Qwen2 checkpoint under a Llama config: the biases are unknown parameters.
        weights[Key] = original;
        SafetensorsFile.Save(dir.File("model.safetensors"), weights);
        File.WriteAllText(dir.File("config.json"), TinyModelFactory.Config(ModelArchitecture.Llama).ToJson());
        var unknown = Assert.Throws<SafetensorsException>(() => ModelFolder.Load(dir.Path)).Message;
        Assert.Contains("_proj.bias\" is not a parameter of a Llama model", unknown);
        foreach (var t in weights.Values) t.Dispose();
    }

    [Fact]
    public void A_shard_index_naming_a_missing_file_is_reported()
    {
        using var dir = new TempDirectory();
        TinyModelFactory.CreateFolder(dir.Path, ModelArchitecture.Llama, seed: 1, new TinyModelSize(Layers: 1));
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 1, new TinyModelSize(Layers: 1));
        using (model) ModelFolder.Save(model, dir.Path, maxShardBytes: 30_000);
        var shard = ModelFolder.WeightFiles(dir.Path)[^1];
        File.Delete(shard);

        var e = Assert.Throws<SafetensorsException>(() => ModelFolder.Load(dir.Path));

        Assert.Contains(Path.GetFileName(shard), e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void A_saved_config_parses_back_to_the_same_configuration()
    {
        foreach (var architecture in Enum.GetValues<ModelArchitecture>())
        {
            var config = TinyModelFactory.Config(architecture);

            var parsed = ModelConfig.Parse(config.ToJson());

            Assert.Equal(config.ToJson(), parsed.ToJson());
            Assert.Equal(config.EosTokenIds, parsed.EosTokenIds);
            Assert.Equal(config.RopeScaling, parsed.RopeScaling);
        }
    }

    [Fact]
    public void Overfilling_the_kv_cache_is_an_error()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 1);
        using var _ = model;
        using var scope = NewDisposeScope();
        using var cache = model.NewKvCache(1, 4);
        using var noGrad = no_grad();
        model.Forward(tensor(new long[] { 1, 2, 3 }).view(1, 3), cache: cache);

        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(tensor(new long[] { 4, 5 }).view(1, 2), cache: cache));

        Assert.Contains("capacity 4", e.Message);
    }
}
