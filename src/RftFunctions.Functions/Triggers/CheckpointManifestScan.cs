using System.Collections.Concurrent;
using Azure.Storage.Blobs.Models;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Health;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;

namespace RftFunctions.Functions.Triggers;

/// <summary>
/// The local (and fallback) path of the checkpoint-manifest trigger: every <c>Rft__CheckpointScanSeconds</c> (10; 0
/// turns it off) the jobs container's <c>{job}/checkpoints/</c> folders are listed and each manifest starts its
/// CheckpointEvaluation. The instance row plays the part of the blob trigger's receipt: it is created atomically
/// (If-None-Match), one per checkpoint, so several hosts and the Event Grid webhook never start an evaluation twice.
/// </summary>
public sealed class CheckpointManifestScan(JobStore store, DurableTaskClient client, IConfiguration configuration, LoopLiveness liveness, ILogger<CheckpointManifestScan> logger) : BackgroundService
{
    /// <summary>The scan's liveness name.</summary>
    public const string LoopName = "checkpoint-manifest-scan";

    /// <summary>The setting with the scan interval in seconds.</summary>
    public const string IntervalSetting = "Rft:CheckpointScanSeconds";

    private readonly ConcurrentDictionary<string, bool> _started = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue(IntervalSetting, 10.0);
        if (seconds <= 0) return;
        var interval = TimeSpan.FromSeconds(seconds);
        var loop = liveness.Register(LoopName, interval + TimeSpan.FromMinutes(5));
        var backoff = new StorageBackoff(interval);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ScanAsync(stoppingToken);
                    backoff.Succeeded();
                    loop.Beat();
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    // A failed scan must not stop the host; the next one retries, backing off while storage does not answer.
                    backoff.Failed();
                    loop.Beat("last scan failed: " + e.GetType().Name);
                    logger.LogWarning(e, "checkpoint manifest scan failed; retrying in {Delay}", backoff.Delay);
                }
                await Task.Delay(backoff.Delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            loop.Stopped(stoppingToken.IsCancellationRequested ? "host stopping" : "the scan ended while the host runs");
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
