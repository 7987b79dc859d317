using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Model.Tests;

public sealed class LoraTests
{
    private static readonly LoraConfig AllProjections = new(Rank: 4, Alpha: 8, Dropout: 0.0, LoraConfig.KnownTargets);

    private static Tensor Logits(DecoderModel model, Tensor ids)
    {
        using var noGrad = no_grad();
        model.eval();
        return model.Logits(model.Forward(ids));
    }

    [Theory]
    [InlineData(ModelArchitecture.Llama)]
    [InlineData(ModelArchitecture.Qwen2)]
    [InlineData(ModelArchitecture.Qwen3)]
    public void Lora_with_zero_B_equals_the_base_model_and_merged_equals_unmerged(ModelArchitecture architecture)
    {
        var (model, _) = TinyModelFactory.Create(architecture, seed: 13);
        using var _ = model;
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 3, 14, 15, 92, 65, 35, 89, 79 }).view(2, 4);
        var baseLogits = Logits(model, ids);

        Lora.Attach(model, AllProjections, seed: 1);
        Assert.True(Logits(model, ids).allclose(baseLogits, rtol: 0, atol: 1e-6));

        // Give B values so the adapters change the model, as training would.
        using (no_grad())
        {
            using var g = new Generator(7, CPU);
            foreach (var (_, adapter) in Lora.Adapters(model)) adapter.B.copy_(empty(adapter.B.shape).normal_(0, 0.05, g));
        }
        var adapted = Logits(model, ids);
        Assert.False(adapted.allclose(baseLogits, rtol: 0, atol: 1e-3));

        Lora.Merge(model);
        Assert.Empty(Lora.Adapters(model));
        Assert.True(Logits(model, ids).allclose(adapted, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void Attaching_freezes_the_base_and_only_adapter_weights_are_trainable()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen2, seed: 1);
        using var _ = model;

        Lora.Attach(model, new LoraConfig(2, 4, 0.1, ["q_proj", "v_proj"]), seed: 3);

        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
        var trainable = model.TrainableParameters();
        Assert.Equal(2 * 2 * model.Config.NumHiddenLayers, trainable.Count);
        Assert.All(trainable, p => Assert.True(p.requires_grad));
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"],
            Lora.Adapters(model).Select(a => a.Path));
    }

    [Fact]
    public void Peft_save_then_load_restores_the_adapters_exactly_with_peft_key_names()
    {
        using var dir = new TempDirectory();
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 17);
        using var _ = model;
        using var scope = NewDisposeScope();
        Lora.Attach(model, new LoraConfig(4, 16, 0.05, ["q_proj", "k_proj", "down_proj"]), seed: 2);
        using (no_grad())
        {
            foreach (var (_, adapter) in Lora.Adapters(model)) adapter.B.fill_(0.01);
        }
        var ids = tensor(new long[] { 1, 2, 3, 4, 5 }).view(1, 5);
        var expected = Logits(model, ids);

        Lora.Save(model, dir.Path, baseModelName: "tiny-llama");

        var (header, _) = SafetensorsFile.ReadHeader(dir.File(Lora.WeightsFile));
        Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", header.Keys);
        Assert.Contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", header.Keys);
        Assert.Equal([4L, 64L], header["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].Shape);
        Assert.Equal(2 * 3 * 2, header.Count);
        var config = Lora.ReadConfig(dir.Path);
        Assert.Equal(4, config.Rank);
        Assert.Equal(16, config.Alpha);
        Assert.Equal(["q_proj", "k_proj", "down_proj"], config.TargetModules);

        var (fresh, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 17);
        using var __ = fresh;
        Lora.Load(fresh, dir.Path);
        Assert.True(Logits(fresh, ids).Equals(expected));
    }

    [Fact]
    public void Unknown_target_modules_are_rejected_by_name()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Llama, seed: 1);
        using var _ = model;

        var e = Assert.Throws<ArgumentException>(() => Lora.Attach(model, new LoraConfig(2, 4, 0, ["q_proj", "c_attn"]), seed: 0));

        Assert.Contains("c_attn", e.Message);
    }

    [Theory]
    [InlineData(4, 8.0)]
    [InlineData(8, 8.0)]
    [InlineData(2, 1.0)]
    public void The_adapter_adds_alpha_over_rank_times_B_A_x(int rank, double alpha)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3, CPU);
        var adapter = new LoraAdapter(6, 5, rank, alpha, 0.0, CPU, ScalarType.Float64, generator);
        using (no_grad()) adapter.B.copy_(rand([5, rank], ScalarType.Float64, generator: generator));
        var x = rand([2, 6], ScalarType.Float64, generator: generator);

        var expected = matmul(matmul(x, adapter.A.t()), adapter.B.t()) * (alpha / rank);

        Assert.Equal(alpha / rank, adapter.Scaling);
        Assert.True(adapter.call(x).allclose(expected, rtol: 1e-12, atol: 1e-12));
        Assert.True(adapter.Delta().allclose(matmul(adapter.B, adapter.A) * (alpha / rank), rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void Lora_dropout_acts_in_training_mode_only()
    {
        var (model, _) = TinyModelFactory.Create(ModelArchitecture.Qwen3, seed: 1);
        using var _ = model;
        using var scope = NewDisposeScope();
        Lora.Attach(model, new LoraConfig(4, 8, 0.5, ["q_proj", "up_proj"]), seed: 2);
        using (no_grad())
        {
            foreach (var (_, adapter) in Lora.Adapters(model)) adapter.B.fill_(0.1);
        }
        var ids = tensor(new long[] { 7, 8, 9, 10 }).view(1, 4);
        Tensor Run()
        {
            using var noGrad = no_grad();
            return model.Logits(model.Forward(ids));
        }

        model.eval();
        var a = Run();
        var b = Run();
        model.train();
        var c = Run();

        Assert.True(a.Equals(b));
        Assert.False(c.allclose(a, rtol: 0, atol: 1e-6));
    }
}
