using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Triggers;

namespace RftFunctions.FunctionApp.Triggers;

/// <summary>
/// The blob triggers, run by the Functions host's blob trigger (container scan + receipts, or Event Grid as the source
/// where the plan needs it). Each calls the per-blob code of the self-hosted host's trigger. The worker creates this class
/// per invocation from the invocation's services, which <paramref name="services"/> therefore is.
/// </summary>
public sealed class BlobTriggerFunctions(IServiceProvider services, ILogger<BlobTriggerFunctions> logger)
{
    /// <summary>The datasets drop zone the trigger watches (the self-hosted default, no storage prefix).</summary>
    public const string DatasetsContainer = "datasets";

    /// <summary>The jobs container the checkpoint-manifest trigger watches (<c>Rft:Jobs:Container</c>'s default).</summary>
    public const string JobsContainer = "jobs";

    /// <summary>
    /// A blob dropped into <c>datasets</c> becomes a file of its project, through the self-hosted trigger's per-blob path
    /// (<see cref="DatasetBlobTrigger.ProcessBlobAsync"/>: its own receipt, attempts and poison message, so a blob the
    /// Functions host delivers twice, or that a self-hosted host sharing the storage saw too, is registered once).
    /// </summary>
    [Function("DatasetUpload")]
    public async Task DatasetUpload([BlobTrigger(DatasetsContainer + "/{name}")] BlobClient blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var trigger = ActivatorUtilities.CreateInstance<DatasetBlobTrigger>(services);
        if (!await trigger.ProcessBlobAsync(blob.Name, cancellationToken))
            logger.LogInformation("datasets blob {Blob} was deleted before it was processed", blob.Name);
    }

    /// <summary>
    /// A checkpoint's manifest (written last, so the checkpoint is whole) starts its CheckpointEvaluation, once per
    /// checkpoint (<see cref="CheckpointEvaluation.StartForBlobAsync"/>: instance id per checkpoint, an existing instance
    /// is left alone), whichever host or delivery sees the manifest first.
    /// </summary>
    [Function("CheckpointManifest")]
    public async Task CheckpointManifest(
        [BlobTrigger(JobsContainer + "/{job}/checkpoints/{step}/manifest.json")] BlobClient manifest,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var id = await CheckpointEvaluation.StartForBlobAsync(client, manifest.Name, cancellationToken);
        logger.LogInformation("checkpoint manifest {Blob}: evaluation {InstanceId}", manifest.Name, id ?? "(not a checkpoint manifest)");
    }

    /// <summary>
    /// Trigger paths are fixed when the app is built, so the containers the app's settings name must be the ones the
    /// triggers watch: a storage prefix or a renamed jobs container would leave uploads and manifests unseen. Called at
    /// start-up; throws with the setting to change.
    /// </summary>
    public static void EnsureWatchedContainers(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var datasets = services.GetRequiredService<ApiOptions>().DatasetsContainer;
        var jobs = services.GetRequiredService<JobStorageOptions>().Container;
        if (datasets != DatasetsContainer)
            throw new InvalidOperationException($"The Function App's datasets trigger watches '{DatasetsContainer}', but the settings name '{datasets}' (Rft__StoragePrefix must be empty in the Function App).");
        if (jobs != JobsContainer)
            throw new InvalidOperationException($"The Function App's checkpoint trigger watches '{JobsContainer}', but the settings name '{jobs}' (Rft__Jobs__Container and Rft__StoragePrefix must be unset in the Function App).");
    }
}
