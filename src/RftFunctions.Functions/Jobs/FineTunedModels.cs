using Azure.Storage.Blobs.Models;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Model;
using RftFunctions.Training.Checkpoints;

namespace RftFunctions.Functions.Jobs;

/// <summary>
/// Turns trainer states into servable models: a merged Hugging Face folder (<c>{prefix}/model/</c>: config.json,
/// tokenizer files, model.safetensors) registered in the job's project, so <c>/v1/chat/completions</c> serves
/// <c>ft:</c> models and checkpoints exactly like base models.
/// </summary>
/// <remarks>
/// Why a merged folder rather than base + adapter at serving time: the result is self-contained (it keeps working
/// when the base model is re-registered, it is a standard folder other tools load, and fine-tuning an <c>ft:</c> model
/// again needs nothing new), serving needs no second download or merge per request path, and the same code handles
/// LoRA and full fine-tuning. The cost is one full copy of the weights per kept checkpoint (at most 3 + the final).
/// Jobs without a project (started without the API) and hosts without a model registry publish nothing.
/// </remarks>
public sealed class FineTunedModels(JobStore store, ModelRegistry? registry = null)
{
    /// <summary>The blob folder (under a state or checkpoint prefix) that holds the merged model.</summary>
    public static string ModelFolderOf(string prefix) => $"{prefix}/model/";

    /// <summary>Merges the policy stored at <paramref name="statePrefix"/> into the base model, writes it under
    /// <paramref name="targetPrefix"/><c>/model/</c> and registers it as <paramref name="modelId"/>; false when nothing
    /// was published (no project or no registry).</summary>
    public async Task<bool> PublishAsync(TrainingJobSpec spec, string statePrefix, string targetPrefix, string modelId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (registry is null || string.IsNullOrEmpty(spec.Project)) return false;
        var manifest = await TrainerStateStore.ReadManifestAsync(store.Container, statePrefix, cancellationToken)
            ?? throw new InvalidOperationException($"no complete trainer state at {statePrefix} (manifest.json missing)");
        var temp = Directory.CreateTempSubdirectory("rft-ftmodel-");
        try
        {
            using (var model = await TrainerStateStore.LoadPolicyAsync(store.Container, statePrefix, manifest, spec.BaseModelDirectory, cancellationToken))
            {
                Lora.Merge(model);
                ModelFolder.Save(model, temp.FullName, tokenizerSource: spec.BaseModelDirectory);
            }
            var folder = ModelFolderOf(targetPrefix);
            long bytes = 0;
            foreach (var file in Directory.EnumerateFiles(temp.FullName).Order(StringComparer.Ordinal))
            {
                await store.Container.GetBlobClient(folder + Path.GetFileName(file)).UploadAsync(file, overwrite: true, cancellationToken);
                bytes += new FileInfo(file).Length;
            }
            // Registered only once every file is uploaded: a listed model is always complete.
            await registry.RegisterStoredAsync(spec.Project, modelId, store.Container.Name, folder, cancellationToken, bytes);
            return true;
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    /// <summary>Unregisters a model (a pruned checkpoint) and deletes its merged folder.</summary>
    public async Task UnpublishAsync(TrainingJobSpec spec, string targetPrefix, string modelId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (registry is not null && !string.IsNullOrEmpty(spec.Project)) await registry.DeleteAsync(spec.Project, modelId, cancellationToken);
        await foreach (var blob in store.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = ModelFolderOf(targetPrefix) }, cancellationToken))
            await store.Container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
    }
}
