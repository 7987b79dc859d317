using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>
/// A Hugging Face model folder: config.json, model.safetensors (or shards with model.safetensors.index.json),
/// generation_config.json and the tokenizer files. Loading is strict: every parameter of the model must be found
/// with the right shape, and no unknown weight may be left over, so a checkpoint of a different architecture fails
/// loudly instead of loading half.
/// </summary>
public static class ModelFolder
{
    /// <summary>The single-file weights name.</summary>
    public const string WeightsFile = "model.safetensors";

    /// <summary>The shard index name.</summary>
    public const string IndexFile = "model.safetensors.index.json";

    /// <summary>Tokenizer files copied along when a model is saved, where the source folder has them.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja"];

    /// <summary>Reads config.json and the weights of <paramref name="directory"/> into a new model.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="device">Where to place the weights (CPU by default).</param>
    /// <param name="dtype">Model dtype; stored F32/BF16/F16 weights are converted to it.</param>
    public static DecoderModel Load(string directory, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (!Directory.Exists(directory)) throw new SafetensorsException($"{directory}: model folder not found");
        var config = ModelConfig.Load(Path.Combine(directory, "config.json"));
        var model = new DecoderModel(config, device, dtype);
        try
        {
            LoadWeights(model, directory);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// <summary>Copies the weights of <paramref name="directory"/> into <paramref name="model"/>'s parameters.</summary>
    public static void LoadWeights(DecoderModel model, string directory)
    {
        var files = WeightFiles(directory);
        var targets = model.state_dict();
        var loaded = new HashSet<string>(StringComparer.Ordinal);
        using var noGrad = no_grad();
        foreach (var file in files)
        {
            SafetensorsFile.ForEachTensor(file, (entry, tensor) =>
            {
                if (!targets.TryGetValue(entry.Name, out var target))
                {
                    // Checkpoints saved with tied embeddings sometimes still carry lm_head.weight: it is the same matrix.
                    if (entry.Name == "lm_head.weight" && model.Config.TieWordEmbeddings) return;
                    throw new SafetensorsException($"{file}: tensor \"{entry.Name}\" is not a parameter of a {model.Config.Architecture} model with this config");
                }
                if (!entry.Shape.SequenceEqual(target.shape))
                    throw new SafetensorsException($"{file}: tensor \"{entry.Name}\" has shape [{string.Join(", ", entry.Shape)}] but the model expects [{string.Join(", ", target.shape)}]");
                if (entry.ScalarType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
                    throw new SafetensorsException($"{file}: tensor \"{entry.Name}\" has dtype {entry.Dtype}; model weights must be F32, BF16 or F16");
                if (!loaded.Add(entry.Name)) throw new SafetensorsException($"{file}: tensor \"{entry.Name}\" appears in more than one weights file");
                target.copy_(tensor);
            });
        }
        var missing = targets.Keys.Where(k => !loaded.Contains(k)).ToList();
        if (missing.Count > 0)
            throw new SafetensorsException($"{directory}: {missing.Count} model parameter(s) missing from {string.Join(", ", files.Select(Path.GetFileName))}: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}");
    }

    /// <summary>
    /// Writes <paramref name="model"/> as a Hugging Face folder. Weights are sharded with an index when they exceed
    /// <paramref name="maxShardBytes"/>. Tokenizer files are copied from <paramref name="tokenizerSource"/> when given.
    /// LoRA adapters are not part of the base weights: merge them first (<see cref="Lora.Merge"/>) to export them.
    /// </summary>
    public static void Save(DecoderModel model, string directory, string? tokenizerSource = null, long maxShardBytes = 4L << 30)
    {
        Directory.CreateDirectory(directory);
        var config = model.Config with { TorchDtype = DtypeName(model.Dtype) };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJson());
        File.WriteAllText(Path.Combine(directory, "generation_config.json"), GenerationConfigJson(config));
        SaveWeights(model.state_dict(), directory, maxShardBytes);
        if (tokenizerSource is not null)
        {
            foreach (var name in TokenizerFiles)
            {
                var source = Path.Combine(tokenizerSource, name);
                if (File.Exists(source)) File.Copy(source, Path.Combine(directory, name), overwrite: true);
            }
        }
    }

    /// <summary>Writes named weights as model.safetensors, or as shards plus model.safetensors.index.json.</summary>
    public static void SaveWeights(IDictionary<string, Tensor> weights, string directory, long maxShardBytes = 4L << 30)
    {
        Directory.CreateDirectory(directory);
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0, total = 0;
        foreach (var kv in weights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var bytes = kv.Value.numel() * kv.Value.ElementSize;
            if (current > 0 && current + bytes > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(kv);
            current += bytes;
            total += bytes;
        }
        foreach (var stale in Directory.EnumerateFiles(directory, "model*.safetensors*")) File.Delete(stale);
        if (shards.Count == 1)
        {
            SafetensorsFile.Save(Path.Combine(directory, WeightsFile), shards[0]);
            return;
        }
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsFile.Save(Path.Combine(directory, name), shards[i]);
            foreach (var (key, _) in shards[i]) weightMap[key] = name;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(directory, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The weights files of a folder: model.safetensors, or the shards its index names (all must exist).</summary>
    public static IReadOnlyList<string> WeightFiles(string directory)
    {
        var single = Path.Combine(directory, WeightsFile);
        if (File.Exists(single)) return [single];
        var indexPath = Path.Combine(directory, IndexFile);
        if (!File.Exists(indexPath)) throw new SafetensorsException($"{directory}: neither {WeightsFile} nor {IndexFile} found");
        JsonObject weightMap;
        try
        {
            weightMap = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"] as JsonObject
                ?? throw new SafetensorsException($"{indexPath}: \"weight_map\" missing");
        }
        catch (JsonException e)
        {
            throw new SafetensorsException($"{indexPath}: not valid JSON ({e.Message})", e);
        }
        var files = new List<string>();
        foreach (var (tensor, file) in weightMap)
        {
            var name = file?.GetValue<string>() ?? throw new SafetensorsException($"{indexPath}: tensor \"{tensor}\" has no file");
            var path = Path.Combine(directory, name);
            if (!File.Exists(path)) throw new SafetensorsException($"{indexPath}: tensor \"{tensor}\" is in {name}, which is missing");
            if (!files.Contains(path)) files.Add(path);
        }
        return files;
    }

    private static string DtypeName(ScalarType t) => t switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };

    private static string GenerationConfigJson(ModelConfig c)
    {
        var o = new JsonObject { ["do_sample"] = true };
        if (c.BosTokenId is { } bos) o["bos_token_id"] = bos;
        if (c.EosTokenIds.Count == 1) o["eos_token_id"] = c.EosTokenIds[0];
        else if (c.EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray([.. c.EosTokenIds.Select(e => (JsonNode)e)]);
        if (c.PadTokenId is { } pad) o["pad_token_id"] = pad;
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
