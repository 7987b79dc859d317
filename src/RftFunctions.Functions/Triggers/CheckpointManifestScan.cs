using System.Collections.Concurrent;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;

namespace RftFunctions.Functions.Triggers;

/// <summary>
/// The local (and fallback) path of the checkpoint-manifest trigger: every <c>Rft__CheckpointScanSeconds</c> (10; 0
/// turns it off) the jobs container's <c>{job}/checkpoints/</c> folders are listed and each manifest starts its
/// CheckpointEvaluation. The instance row plays the part of the blob trigger's receipt: it is created atomically
/// (If-None-Match), one per checkpoint, so several hosts and the Event Grid webhook never start an evaluation twice.
/// </summary>
public sealed class CheckpointManifestScan(JobStore store, DurableTaskClient client, IConfiguration configuration, ILogger<CheckpointManifestScan> logger) : BackgroundService
{
    /// <summary>The setting with the scan interval in seconds.</summary>
    public const string IntervalSetting = "Rft:CheckpointScanSeconds";

    private readonly ConcurrentDictionary<string, bool> _started = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue(IntervalSetting, 10.0);
        if (seconds <= 0) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failed scan must not stop the host; the next one retries.
                logger.LogWarning(e, "checkpoint manifest scan failed; retrying");
            }
            await Task.Delay(TimeSpan.FromSeconds(seconds), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>One pass: starts the evaluation of every checkpoint manifest not seen before; returns how many it started or found.</summary>
    public async Task<int> ScanAsync(CancellationToken cancellationToken)
    {
        var container = store.Container;
        if (!await container.ExistsAsync(cancellationToken)) return 0;
        int found = 0;
        await foreach (var job in container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", prefix: null, cancellationToken))
        {
            if (!job.IsPrefix) continue;
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, job.Prefix + "checkpoints/", cancellationToken))
            {
                if (CheckpointEvaluation.ForBlob(blob.Name) is null || _started.ContainsKey(blob.Name)) continue;
                var id = await CheckpointEvaluation.StartForBlobAsync(client, blob.Name, cancellationToken);
                _started[blob.Name] = true;
                found++;
                logger.LogInformation("checkpoint manifest {Blob}: evaluation {InstanceId}", blob.Name, id);
            }
        }
        return found;
    }
}
