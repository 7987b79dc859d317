using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Evaluation of a checkpoint on the full validation set, started by the event of its manifest appearing in Blob
/// Storage (<c>{job}/checkpoints/{step}/manifest.json</c> in the jobs container; the manifest is written last, so the
/// checkpoint is whole). One instance per checkpoint (<see cref="InstanceId"/>), so duplicate deliveries start it once.
/// </summary>
public static partial class CheckpointEvaluation
{
    /// <summary>The orchestration.</summary>
    public const string Orchestration = "CheckpointEvaluation";

    /// <summary>Records the result, the event and prunes to the best checkpoints.</summary>
    public const string RecordActivity = "RecordCheckpointEvaluation";

    /// <summary>The split tag of its rollout and grade blobs (validation items; blobs apart from the job's own validation).</summary>
    public const string Split = "ckpteval";

    /// <summary>
    /// The sequence of an evaluation's event: time-ordered like the job's own events (at the evaluation's replay-safe
    /// clock), in the top of the millisecond (900-999, by step) so it never meets a job's sequence, which take the
    /// lowest free ones.
    /// </summary>
    public static long EventSequence(DateTime utc, int stepNumber) => Jobs.JobStore.EventSequenceAt(utc) + 900 + (stepNumber % 100);

    /// <summary>The instance id evaluating checkpoint <paramref name="stepNumber"/> of <paramref name="jobId"/>.</summary>
    public static string InstanceId(string jobId, int stepNumber) => string.Create(CultureInfo.InvariantCulture, $"ckpteval-{jobId}-{stepNumber}");

    /// <summary>The evaluation a blob name calls for: a checkpoint manifest's job and step, else null.</summary>
    public static CheckpointEvaluationInput? ForBlob(string blobName)
    {
        var match = ManifestPattern().Match(blobName);
        if (!match.Success || !int.TryParse(match.Groups["step"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var step) || step < 1) return null;
        var jobId = match.Groups["job"].Value;
        return new CheckpointEvaluationInput(jobId, step, JobBlobs.Checkpoint(jobId, step));
    }

    /// <summary>
    /// Starts the evaluation a checkpoint manifest calls for, at most once per checkpoint: an instance that exists in
    /// any state (running, completed, failed) is left alone. Returns the instance id, or null for other blobs.
    /// </summary>
    public static async Task<string?> StartForBlobAsync(DurableTaskClient client, string blobName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (ForBlob(blobName) is not { } input) return null;
        var id = InstanceId(input.JobId, input.StepNumber);
        if (await client.GetInstanceAsync(id, cancellation: cancellationToken) is not null) return id;
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(Orchestration, input, new StartOrchestrationOptions(id), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A concurrent delivery of the same event started it (each host's client reports that its own way).
            if (await client.GetInstanceAsync(id, cancellation: cancellationToken) is null) throw;
        }
        return id;
    }

    /// <summary>
    /// Keeps the best <c>CheckpointsKept</c> checkpoints of a job by valid_reward_mean (the later step wins ties) and
    /// deletes the others: their <c>ft:...:ckpt-step-N</c> models, blobs and records; returns the kept step numbers. The
    /// one pruning routine: the job's Checkpoint activity runs it when a checkpoint is created (ranked by the step's
    /// validation) and this evaluation runs it again once the full-set number replaced that.
    /// </summary>
    public static async Task<IReadOnlySet<int>> KeepBestAsync(JobStore store, FineTunedModels models, TrainingJobSpec spec, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(spec);
        var all = await store.ListCheckpointsAsync(jobId, cancellationToken);
        var keep = all.OrderByDescending(c => c.Metrics.GetValueOrDefault("valid_reward_mean")).ThenByDescending(c => c.StepNumber)
            .Take(spec.Config.CheckpointsKept).Select(c => c.StepNumber).ToHashSet();
        foreach (var dropped in all.Where(c => !keep.Contains(c.StepNumber)))
        {
            // Model and blobs first, the record last: a crash in between leaves a record without files, which the
            // next pruning removes.
            var prefix = JobBlobs.Checkpoint(jobId, dropped.StepNumber);
            if (dropped.FineTunedModelCheckpoint is { Length: > 0 } model) await models.UnpublishAsync(spec, prefix, model, cancellationToken);
            await JobBlobs.DeletePrefixAsync(store.Container, prefix, cancellationToken);
            await store.DeleteCheckpointAsync(jobId, dropped.StepNumber, cancellationToken);
        }
        return keep;
    }

    /// <summary>Registers the orchestration and its record activity.</summary>
    public static TaskCatalog Register(TaskCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog
            .AddOrchestrator<CheckpointEvaluationOrchestrator>(Orchestration)
            .AddActivity<CheckpointEvaluationRecordActivity>(RecordActivity);
    }

    [GeneratedRegex(@"^(?<job>[^/]+)/checkpoints/(?<step>[0-9]{1,9})/manifest\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex ManifestPattern();
}

/// <summary>The CheckpointEvaluation orchestration's input.</summary>
public sealed record CheckpointEvaluationInput(string JobId, int StepNumber, string CheckpointPrefix);

/// <summary>What the record activity receives: the full-set validation totals.</summary>
public sealed record CheckpointEvaluationResult(string JobId, int StepNumber, double RewardMean, int Count, IReadOnlyDictionary<string, double> SubRewardMeans, long EventSequence = 0);

/// <summary>The outcome: <c>evaluated</c> (kept or pruned after ranking) or <c>gone</c> (the checkpoint was deleted first).</summary>
public sealed record CheckpointEvaluationOutcome(string Status, double? RewardMean, bool Kept, string? Reason = null);
