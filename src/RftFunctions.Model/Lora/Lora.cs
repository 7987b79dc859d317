using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>LoRA settings, named as PEFT's LoraConfig names them.</summary>
/// <param name="Rank">r: rank of the update.</param>
/// <param name="Alpha">lora_alpha: the update is scaled by alpha / r.</param>
/// <param name="Dropout">lora_dropout: dropout on the adapter input while training.</param>
/// <param name="TargetModules">Projection names to adapt (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj).</param>
public sealed record LoraConfig(int Rank, double Alpha, double Dropout, IReadOnlyList<string> TargetModules)
{
    /// <summary>The projection names a target may use.</summary>
    public static readonly IReadOnlyList<string> KnownTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
}

/// <summary>
/// Attaching, saving, loading and merging LoRA adapters. Saved adapters use PEFT's layout, so PEFT can load them onto
/// the Hugging Face base model: adapter_config.json plus adapter_model.safetensors with keys
/// <c>base_model.model.{module path}.lora_A.weight</c> / <c>lora_B.weight</c>.
/// </summary>
public static class Lora
{
    /// <summary>The adapter weights file name.</summary>
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>The adapter config file name.</summary>
    public const string ConfigFile = "adapter_config.json";

    private const string KeyPrefix = "base_model.model.";

    /// <summary>
    /// Attaches fresh adapters (A drawn from <paramref name="seed"/>, B zero) to the target projections and freezes
    /// every base weight, so <see cref="DecoderModel.TrainableParameters"/> returns only adapter weights.
    /// </summary>
    public static void Attach(DecoderModel model, LoraConfig config, long seed)
    {
        var unknown = config.TargetModules.Where(t => !LoraConfig.KnownTargets.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown LoRA target module(s): {string.Join(", ", unknown)} (known: {string.Join(", ", LoraConfig.KnownTargets)})", nameof(config));
        if (config.TargetModules.Count == 0) throw new ArgumentException("LoRA needs at least one target module", nameof(config));

        using var generator = new Generator((ulong)seed, CPU);
        foreach (var (path, projection) in model.Projections())
        {
            if (!config.TargetModules.Contains(ModuleName(path))) continue;
            projection.Adapter?.Dispose();
            projection.Adapter = new LoraAdapter(projection.InFeatures, projection.OutFeatures, config.Rank, config.Alpha, config.Dropout,
                model.Device, model.Dtype, generator);
        }
        foreach (var p in model.parameters()) p.requires_grad = false;
    }

    /// <summary>Writes the attached adapters in PEFT format to <paramref name="directory"/>.</summary>
    public static void Save(DecoderModel model, string directory, string? baseModelName = null)
    {
        var adapters = Adapters(model).ToList();
        if (adapters.Count == 0) throw new InvalidOperationException("the model has no LoRA adapters to save");
        var first = adapters[0].Adapter;
        var targets = adapters.Select(a => ModuleName(a.Path)).Distinct().ToList();
        Directory.CreateDirectory(directory);
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = first.Rank,
            ["lora_alpha"] = first.Alpha,
            ["lora_dropout"] = DropoutOf(model),
            ["target_modules"] = new JsonArray([.. targets.Select(t => (JsonNode)t)]),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["use_rslora"] = false,
            ["base_model_name_or_path"] = baseModelName,
        };
        File.WriteAllText(Path.Combine(directory, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var weights = new List<KeyValuePair<string, Tensor>>();
        foreach (var (path, adapter) in adapters)
        {
            weights.Add(new($"{KeyPrefix}{path}.lora_A.weight", adapter.A));
            weights.Add(new($"{KeyPrefix}{path}.lora_B.weight", adapter.B));
        }
        SafetensorsFile.Save(Path.Combine(directory, WeightsFile), weights);
    }

    /// <summary>Reads adapter_config.json of a PEFT adapter folder.</summary>
    public static LoraConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, ConfigFile);
        if (!File.Exists(path)) throw new SafetensorsException($"{path}: file not found");
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new SafetensorsException($"{path}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new SafetensorsException($"{path}: not valid JSON ({e.Message})", e);
        }
        if (o["peft_type"]?.GetValue<string>() is { } type && type != "LORA")
            throw new SafetensorsException($"{path}: field \"peft_type\" is \"{type}\"; only LORA is supported");
        var rank = o["r"]?.GetValue<int>() ?? throw new SafetensorsException($"{path}: field \"r\" missing");
        var alpha = o["lora_alpha"]?.GetValue<double>() ?? rank;
        var dropout = o["lora_dropout"]?.GetValue<double>() ?? 0;
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(n => n!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => throw new SafetensorsException($"{path}: field \"target_modules\" missing"),
        };
        return new LoraConfig(rank, alpha, dropout, targets);
    }

    /// <summary>Attaches the PEFT adapter in <paramref name="directory"/> to <paramref name="model"/> (base frozen).</summary>
    public static LoraConfig Load(DecoderModel model, string directory)
    {
        var config = ReadConfig(directory);
        Attach(model, config, seed: 0);
        var file = Path.Combine(directory, WeightsFile);
        var byKey = Adapters(model).SelectMany(a => new[]
        {
            ($"{KeyPrefix}{a.Path}.lora_A.weight", a.Adapter.A),
            ($"{KeyPrefix}{a.Path}.lora_B.weight", a.Adapter.B),
        }).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        using var noGrad = no_grad();
        SafetensorsFile.ForEachTensor(file, (entry, tensor) =>
        {
            // PEFT keeps the adapter name in memory ("lora_A.default.weight") but not on disk; accept both.
            var key = entry.Name.Replace(".default.weight", ".weight", StringComparison.Ordinal);
            if (!byKey.TryGetValue(key, out var target))
                throw new SafetensorsException($"{file}: tensor \"{entry.Name}\" does not match any adapted projection of this model");
            if (!entry.Shape.SequenceEqual(target.shape))
                throw new SafetensorsException($"{file}: tensor \"{entry.Name}\" has shape [{string.Join(", ", entry.Shape)}] but the adapter expects [{string.Join(", ", target.shape)}]");
            target.copy_(tensor);
            loaded.Add(key);
        });
        var missing = byKey.Keys.Where(k => !loaded.Contains(k)).ToList();
        if (missing.Count > 0) throw new SafetensorsException($"{file}: {missing.Count} adapter tensor(s) missing, e.g. \"{missing[0]}\"");
        return config;
    }

    /// <summary>
    /// Folds every adapter into its base weight (W += alpha/r · B·A) and removes it, leaving a plain model that
    /// <see cref="ModelFolder.Save"/> exports. Base weights become trainable again.
    /// </summary>
    public static void Merge(DecoderModel model)
    {
        using var noGrad = no_grad();
        foreach (var (_, projection) in model.Projections())
        {
            if (projection.Adapter is not { } adapter) continue;
            using (var delta = adapter.Delta()) projection.Weight.add_(delta);
            projection.Adapter = null;
            adapter.Dispose();
        }
        foreach (var p in model.parameters()) p.requires_grad = true;
    }

    /// <summary>The attached adapters with their module paths.</summary>
    public static IEnumerable<(string Path, LoraAdapter Adapter)> Adapters(DecoderModel model) =>
        model.Projections().Where(p => p.Projection.Adapter is not null).Select(p => (p.Path, p.Projection.Adapter!));

    private static double DropoutOf(DecoderModel model) => Adapters(model).Select(a => a.Adapter.Dropout).FirstOrDefault();

    private static string ModuleName(string path) => path[(path.LastIndexOf('.') + 1)..];
}
