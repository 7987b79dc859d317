using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Jobs;

/// <summary>
/// The job records: the Jobs table (one row per job, the read model of <see cref="FineTuningJobObject"/>), the
/// JobEvents table (ordered newest first by RowKey, so <c>after</c> pagination is a range query) and the Checkpoints
/// table. Every write is idempotent (keys derive from job and step), because the activities that call it are
/// at-least-once.
/// </summary>
public sealed class JobStore
{
    private readonly TableClient _jobs;
    private readonly TableClient _events;
    private readonly TableClient _checkpoints;
    private int _created;

    /// <summary>Creates the store over <paramref name="account"/>.</summary>
    public JobStore(StorageAccount account, JobStorageOptions options)
    {
        var tables = account.CreateTableServiceClient();
        _jobs = tables.GetTableClient(options.JobsTable);
        _events = tables.GetTableClient(options.EventsTable);
        _checkpoints = tables.GetTableClient(options.CheckpointsTable);
        Container = account.CreateBlobServiceClient().GetBlobContainerClient(options.Container);
    }

    /// <summary>The <c>jobs</c> blob container.</summary>
    public BlobContainerClient Container { get; }

    /// <summary>
    /// Creates the tables and container once per process. A failure is not remembered (storage may be down at start-up,
    /// issue 22): the next call tries again, where a cached faulted task would fail every call for the process's life.
    /// </summary>
    public async Task EnsureAsync()
    {
        if (Volatile.Read(ref _created) == 1) return;
        await Task.WhenAll(_jobs.CreateIfNotExistsAsync(), _events.CreateIfNotExistsAsync(), _checkpoints.CreateIfNotExistsAsync(), Container.CreateIfNotExistsAsync());
        Volatile.Write(ref _created, 1);
    }

    /// <summary>Inserts the job row (status validating_files) owned by <paramref name="project"/> (empty: no project,
    /// as in tests that drive the orchestration directly; such a job is invisible to every API caller).</summary>
    public async Task CreateAsync(FineTuningJobObject job, string project = "", CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        await _jobs.AddEntityAsync(ToEntity(job, project), cancellationToken);
    }

    /// <summary>The job when <paramref name="project"/> owns it, else null (another project's job looks unknown).</summary>
    public async Task<FineTuningJobObject?> GetForProjectAsync(string project, string jobId, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        if (project.Length == 0 || !IsValidKey(jobId)) return null;
        var row = await _jobs.GetEntityIfExistsAsync<TableEntity>("job", jobId, cancellationToken: cancellationToken);
        return row.HasValue && row.Value!.GetString("Project") == project
            ? JsonSerializer.Deserialize<FineTuningJobObject>(row.Value.GetString("Json")!) : null;
    }

    /// <summary>The project's jobs, newest first.</summary>
    public async Task<IReadOnlyList<FineTuningJobObject>> ListAsync(string project, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var list = new List<FineTuningJobObject>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {"job"} and Project eq {project}");
        await foreach (var row in _jobs.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            list.Add(JsonSerializer.Deserialize<FineTuningJobObject>(row.GetString("Json")!)!);
        return [.. list.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id, StringComparer.Ordinal)];
    }

    /// <summary>Deletes the job row (a job whose orchestration never started); nothing when it is gone.</summary>
    public async Task DeleteAsync(string jobId, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        await _jobs.DeleteEntityAsync("job", jobId, ETag.All, cancellationToken);
    }

    /// <summary>Every job row with <paramref name="status"/>, in any project (for start-up reconciliation).</summary>
    public async Task<IReadOnlyList<FineTuningJobObject>> ListByStatusAsync(string status, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var list = new List<FineTuningJobObject>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {"job"} and Status eq {status}");
        await foreach (var row in _jobs.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            list.Add(JsonSerializer.Deserialize<FineTuningJobObject>(row.GetString("Json")!)!);
        return list;
    }

    /// <summary>The job, or null.</summary>
    public async Task<FineTuningJobObject?> GetAsync(string jobId, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var row = await _jobs.GetEntityIfExistsAsync<TableEntity>("job", jobId, cancellationToken: cancellationToken);
        return row.HasValue ? JsonSerializer.Deserialize<FineTuningJobObject>(row.Value!.GetString("Json")!) : null;
    }

    /// <summary>Applies <paramref name="change"/> to the job row with optimistic concurrency (retried on conflicts).</summary>
    public async Task<FineTuningJobObject> UpdateAsync(string jobId, Func<FineTuningJobObject, FineTuningJobObject> change, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        for (var attempt = 0; ; attempt++)
        {
            var row = await _jobs.GetEntityAsync<TableEntity>("job", jobId, cancellationToken: cancellationToken);
            var job = change(JsonSerializer.Deserialize<FineTuningJobObject>(row.Value.GetString("Json")!)!);
            try
            {
                await _jobs.UpdateEntityAsync(ToEntity(job, row.Value.GetString("Project") ?? ""), row.Value.ETag, TableUpdateMode.Replace, cancellationToken);
                return job;
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < 10)
            {
            }
        }
    }

    /// <summary>
    /// Appends (or re-writes, when replayed) the event with sequence number <paramref name="sequence"/>; larger
    /// sequences are newer. Sequences are time-ordered (<see cref="EventSequenceAt"/>) and derived deterministically by
    /// the orchestrations, so replays land on the same row and events of different orchestrations of one job (the job
    /// itself, its checkpoint evaluations) interleave by when they happened.
    /// </summary>
    public async Task AppendEventAsync(string jobId, long sequence, JobEventObject @event, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var id = EventId(sequence);
        var entity = new TableEntity(jobId, id) { ["Json"] = JsonSerializer.Serialize(@event with { Id = id }) };
        await _events.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// Appends the event for <paramref name="key"/> (e.g. step 3's metrics) once per job: the first sequence to claim the
    /// key writes it (again on redelivery of the same activity); a different sequence for a claimed key writes nothing
    /// and returns false. A worker that dies after an episode sent its activities but before it stored its history
    /// makes the engine re-run that episode on a new clock, so the same step's event can arrive twice with two sequences:
    /// the claim keeps one. Claims live in the job's own claims partition, apart from the events a list reads.
    /// </summary>
    public async Task<bool> AppendEventOnceAsync(string jobId, string key, long sequence, JobEventObject @event, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var claims = jobId + "~claims";
        try
        {
            await _events.AddEntityAsync(new TableEntity(claims, key) { ["Sequence"] = sequence }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var claimed = await _events.GetEntityAsync<TableEntity>(claims, key, cancellationToken: cancellationToken);
            if (claimed.Value.GetInt64("Sequence") != sequence) return false;
        }
        await AppendEventAsync(jobId, sequence, @event, cancellationToken);
        return true;
    }

    /// <summary>The event id of a sequence number: newest first in RowKey order (fixed width, so string order is numeric order).</summary>
    public static string EventId(long sequence) => "ftevent-" + (long.MaxValue - sequence).ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The smallest event sequence of the millisecond <paramref name="utc"/>: milliseconds since 1970 times 1000, so
    /// each millisecond has 1000 sequences (a job takes the next free one, <see cref="NextEventSequence"/>; checkpoint
    /// evaluations use 900-999).
    /// </summary>
    public static long EventSequenceAt(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds() * 1000;

    /// <summary>The job's next event sequence at <paramref name="utc"/> (the orchestration's deterministic clock) after
    /// <paramref name="next"/> (the first unused one): time-ordered and strictly increasing.</summary>
    public static long NextEventSequence(ref long next, DateTime utc)
    {
        var sequence = Math.Max(next, EventSequenceAt(utc));
        next = sequence + 1;
        return sequence;
    }

    /// <summary>Events newest first, after the event id <paramref name="after"/> (exclusive), at most <paramref name="limit"/>.</summary>
    public async Task<(IReadOnlyList<JobEventObject> Data, bool HasMore)> ListEventsAsync(string jobId, string? after, int limit, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var filter = after is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {jobId}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {jobId} and RowKey gt {after}");
        var list = new List<JobEventObject>();
        await foreach (var row in _events.QueryAsync<TableEntity>(filter, maxPerPage: limit + 1, cancellationToken: cancellationToken))
        {
            list.Add(JsonSerializer.Deserialize<JobEventObject>(row.GetString("Json")!)!);
            if (list.Count > limit) break;
        }
        return (list.Take(limit).ToList(), list.Count > limit);
    }

    /// <summary>Whether the job has an event with this id (an unknown <c>after</c> cursor is a 400, as in every list).</summary>
    public async Task<bool> EventExistsAsync(string jobId, string eventId, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var row = await _events.GetEntityIfExistsAsync<TableEntity>(jobId, eventId, ["RowKey"], cancellationToken);
        return row.HasValue;
    }

    /// <summary>Records a checkpoint row (idempotent by step).</summary>
    public async Task UpsertCheckpointAsync(CheckpointObject checkpoint, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var entity = new TableEntity(checkpoint.FineTuningJobId, StepKey(checkpoint.StepNumber)) { ["Json"] = JsonSerializer.Serialize(checkpoint) };
        await _checkpoints.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Deletes a checkpoint row (missing is fine).</summary>
    public async Task DeleteCheckpointAsync(string jobId, int stepNumber, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        await _checkpoints.DeleteEntityAsync(jobId, StepKey(stepNumber), ETag.All, cancellationToken);
    }

    /// <summary>The job's kept checkpoints, newest step first.</summary>
    public async Task<IReadOnlyList<CheckpointObject>> ListCheckpointsAsync(string jobId, CancellationToken cancellationToken = default)
    {
        await EnsureAsync();
        var list = new List<CheckpointObject>();
        await foreach (var row in _checkpoints.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {jobId}"), cancellationToken: cancellationToken))
            list.Add(JsonSerializer.Deserialize<CheckpointObject>(row.GetString("Json")!)!);
        return [.. list.OrderByDescending(c => c.StepNumber)];
    }

    private static string StepKey(int step) => step.ToString("D8", System.Globalization.CultureInfo.InvariantCulture);

    // Table keys cannot hold '/', '\\', '#', '?' or control characters; such an id is simply unknown.
    private static bool IsValidKey(string id) => id.Length is > 0 and <= 256 && !id.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    private static TableEntity ToEntity(FineTuningJobObject job, string project) => new("job", job.Id)
    {
        ["Json"] = JsonSerializer.Serialize(job),
        ["Project"] = project,
        ["Status"] = job.Status,
        ["CreatedAt"] = job.CreatedAt,
    };
}
