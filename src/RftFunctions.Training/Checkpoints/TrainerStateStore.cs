using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Trainer;
using static TorchSharp.torch;

namespace RftFunctions.Training.Checkpoints;

/// <summary>
/// Trainer state in Blob Storage: the policy (a PEFT LoRA adapter or a full Hugging Face folder), the optimiser state,
/// and <see cref="TrainerStateManifest"/> (seed, data position, step) written last. Loading it into a fresh process
/// continues with exactly the numbers an uninterrupted run produces (weights and moments are stored bit-exactly, and
/// every random choice derives from seed and step).
/// </summary>
public static class TrainerStateStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Writes policy, optimiser state and then the manifest under <paramref name="prefix"/>.</summary>
    public static async Task<TrainerStateManifest> SaveAsync(BlobContainerClient container, string prefix, DecoderModel policy,
        PolicyTrainer trainer, FineTuningMode mode, TrainerStateManifest manifest, CancellationToken cancellationToken = default)
    {
        var temp = Directory.CreateTempSubdirectory("rft-state-");
        try
        {
            if (mode == FineTuningMode.Lora) Lora.Save(policy, temp.FullName);
            else ModelFolder.Save(policy, temp.FullName);
            var files = new List<string>();
            foreach (var file in Directory.GetFiles(temp.FullName).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                await container.GetBlobClient($"{prefix}/policy/{name}").UploadAsync(file, overwrite: true, cancellationToken);
                files.Add($"policy/{name}");
            }
            using (var optimizer = new MemoryStream())
            {
                trainer.SaveOptimizerState(optimizer);
                optimizer.Position = 0;
                await container.GetBlobClient($"{prefix}/{TrainerStateManifest.OptimizerFile}").UploadAsync(optimizer, overwrite: true, cancellationToken);
            }
            var written = manifest with
            {
                PolicyFormat = mode == FineTuningMode.Lora ? TrainerStateManifest.LoraFormat : TrainerStateManifest.FullFormat,
                PolicyFiles = files,
                CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            };
            // Last: its presence is what makes the folder a complete state.
            await container.GetBlobClient($"{prefix}/{TrainerStateManifest.FileName}")
                .UploadAsync(BinaryData.FromObjectAsJson(written, Json), overwrite: true, cancellationToken);
            return written;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>The manifest under <paramref name="prefix"/>, or null when the folder is absent or incomplete.</summary>
    public static async Task<TrainerStateManifest?> ReadManifestAsync(BlobContainerClient container, string prefix, CancellationToken cancellationToken = default)
    {
        try
        {
            var content = await container.GetBlobClient($"{prefix}/{TrainerStateManifest.FileName}").DownloadContentAsync(cancellationToken);
            return content.Value.Content.ToObjectFromJson<TrainerStateManifest>(Json);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Loads the policy stored under <paramref name="prefix"/> on top of the base model folder
    /// <paramref name="baseModelDirectory"/> (LoRA: base + adapter; full: the stored folder itself) onto
    /// <paramref name="device"/> (the CPU when null).
    /// </summary>
    public static async Task<DecoderModel> LoadPolicyAsync(BlobContainerClient container, string prefix, TrainerStateManifest manifest,
        string baseModelDirectory, CancellationToken cancellationToken = default, Device? device = null)
    {
        var temp = Directory.CreateTempSubdirectory("rft-policy-");
        try
        {
            await DownloadPolicyAsync(container, prefix, manifest, temp.FullName, cancellationToken);
            if (manifest.PolicyFormat == TrainerStateManifest.LoraFormat)
            {
                var model = ModelFolder.Load(baseModelDirectory, device);
                Lora.Load(model, temp.FullName);
                return model;
            }
            return ModelFolder.Load(temp.FullName, device);
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Downloads the policy files of a state folder into <paramref name="directory"/>.</summary>
    public static async Task DownloadPolicyAsync(BlobContainerClient container, string prefix, TrainerStateManifest manifest,
        string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        foreach (var file in manifest.PolicyFiles)
        {
            var target = Path.Combine(directory, Path.GetFileName(file));
            await container.GetBlobClient($"{prefix}/{file}").DownloadToAsync(target, cancellationToken);
        }
    }

    /// <summary>Restores the optimiser state stored under <paramref name="prefix"/> into <paramref name="trainer"/>.</summary>
    public static async Task LoadOptimizerAsync(BlobContainerClient container, string prefix, PolicyTrainer trainer, CancellationToken cancellationToken = default)
    {
        var content = await container.GetBlobClient($"{prefix}/{TrainerStateManifest.OptimizerFile}").DownloadContentAsync(cancellationToken);
        using var stream = content.Value.Content.ToStream();
        trainer.LoadOptimizerState(stream);
    }

    /// <summary>Copies a complete state folder to <paramref name="targetPrefix"/>, manifest last.</summary>
    public static async Task<TrainerStateManifest> CopyAsync(BlobContainerClient container, string sourcePrefix, string targetPrefix,
        CancellationToken cancellationToken = default)
    {
        var manifest = await ReadManifestAsync(container, sourcePrefix, cancellationToken)
            ?? throw new InvalidOperationException($"no complete trainer state at {sourcePrefix} (manifest.json missing)");
        foreach (var file in manifest.PolicyFiles.Append(TrainerStateManifest.OptimizerFile))
        {
            var data = await container.GetBlobClient($"{sourcePrefix}/{file}").DownloadContentAsync(cancellationToken);
            await container.GetBlobClient($"{targetPrefix}/{file}").UploadAsync(data.Value.Content, overwrite: true, cancellationToken);
        }
        await container.GetBlobClient($"{targetPrefix}/{TrainerStateManifest.FileName}")
            .UploadAsync(BinaryData.FromObjectAsJson(manifest, Json), overwrite: true, cancellationToken);
        return manifest;
    }
}
