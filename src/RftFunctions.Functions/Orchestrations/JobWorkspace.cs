using System.Collections.Concurrent;
using RftFunctions.Functions.Jobs;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Model;
using RftFunctions.Model.Tokenization;
using RftFunctions.Model.Tokenization.Chat;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>A job's read-only inputs, loaded once per worker process.</summary>
/// <param name="Spec">The spec.</param>
/// <param name="Train">Training examples.</param>
/// <param name="Valid">Validation examples.</param>
/// <param name="Grader">The compiled grader.</param>
/// <param name="Tokenizer">The base model's tokenizer.</param>
/// <param name="Format">Its chat format.</param>
public sealed record JobContext(TrainingJobSpec Spec, IReadOnlyList<RftExample> Train, IReadOnlyList<RftExample> Valid,
    CompiledGrader Grader, HuggingFaceTokenizer Tokenizer, ChatFormat Format);

/// <summary>
/// The worker process's per-job caches: specs, datasets, grader, tokenizer, the rollout policy (the base model plus
/// the latest policy version) and the one trainer per job. Everything here can be rebuilt from Blob Storage, which is
/// what happens after a crash or on another worker.
/// </summary>
public sealed class JobWorkspace(JobStore store, GraderServices graderServices, BaseModelCache baseModels, ComputeDevice device) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<JobContext>>> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RolloutPolicy> _policies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrainerSlot> _trainers = new(StringComparer.Ordinal);

    /// <summary>The job store (and its blob container).</summary>
    public JobStore Store => store;

    /// <summary>Where this process's rollout policies and trainers live (<c>Rft:Device</c>).</summary>
    public TorchSharp.torch.Device Device => device.Device;

    // Device-bound work (sampling, policy updates) runs one piece at a time per device in this process: every worker
    // takes every activity, so concurrent rollouts and updates would otherwise fight over one GPU's memory and
    // compute. Grading and bookkeeping do not take it and run alongside.
    private readonly SemaphoreSlim _deviceTurn = new(1, 1);

    /// <summary>Waits for this process's device and holds it until the result is disposed (one at a time per device, see the field).</summary>
    public async Task<IDisposable> TakeDeviceTurnAsync(CancellationToken cancellationToken)
    {
        await _deviceTurn.WaitAsync(cancellationToken);
        return new DeviceTurn(_deviceTurn);
    }

    private sealed class DeviceTurn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) turn.Release();
        }
    }

    /// <summary>Services graders need (python pool, judge).</summary>
    public GraderServices GraderServices => graderServices;

    /// <summary>The job's inputs (loaded once; a failed load is retried on the next call).</summary>
    public async Task<JobContext> GetJobAsync(string jobId, CancellationToken cancellationToken)
    {
        var lazy = _jobs.GetOrAdd(jobId, id => new Lazy<Task<JobContext>>(() => LoadAsync(id, CancellationToken.None)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch
        {
            _jobs.TryRemove(new KeyValuePair<string, Lazy<Task<JobContext>>>(jobId, lazy));
            throw;
        }
    }

    private async Task<JobContext> LoadAsync(string jobId, CancellationToken cancellationToken)
    {
        var spec = await JobBlobs.ReadAsync<TrainingJobSpec>(store.Container, TrainingJobSpec.BlobName(jobId), cancellationToken);
        var train = await ReadDatasetAsync(spec.TrainingBlob, DatasetLimits.Training, cancellationToken);
        var valid = spec.ValidationBlob is null ? train : await ReadDatasetAsync(spec.ValidationBlob, DatasetLimits.Validation, cancellationToken);
        if (spec.MaxValidationItems > 0 && valid.Count > spec.MaxValidationItems) valid = [.. valid.Take(spec.MaxValidationItems)];
        var grader = GraderCompiler.Compile(GraderConfigJson.Parse(spec.Grader));
        // A job created through the API names its base model by blob folder; every activity reads the local copy.
        if (spec.BaseModelBlob is { } blob)
            spec = spec with { BaseModelDirectory = await baseModels.GetAsync(blob, cancellationToken) };
        if (!Directory.Exists(spec.BaseModelDirectory))
            throw new DirectoryNotFoundException($"base model '{spec.BaseModel}': folder {spec.BaseModelDirectory} does not exist");
        var tokenizer = HuggingFaceTokenizer.Load(spec.BaseModelDirectory);
        return new JobContext(spec, train, valid, grader, tokenizer, tokenizer.ChatFormat(ChatFormatFallback.RftTiny));
    }

    private async Task<IReadOnlyList<RftExample>> ReadDatasetAsync(string blob, DatasetLimits limits, CancellationToken cancellationToken)
    {
        using var stream = (await store.Container.GetBlobClient(blob).DownloadStreamingAsync(cancellationToken: cancellationToken)).Value.Content;
        var result = RftDatasetReader.Read(stream, limits);
        if (result.Errors.Count > 0) throw new InvalidDatasetException(blob, result.Errors);
        if (result.Examples.Count == 0) throw new InvalidDataException($"{blob}: the file has no examples");
        return result.Examples;
    }

    /// <summary>The rollout policy cache entry of a job (callers hold its lock while using the model).</summary>
    public RolloutPolicy RolloutPolicyOf(string jobId) => _policies.GetOrAdd(jobId, _ => new RolloutPolicy());

    /// <summary>The trainer slot of a job (callers hold its lock).</summary>
    public TrainerSlot TrainerOf(string jobId) => _trainers.GetOrAdd(jobId, _ => new TrainerSlot());

    /// <summary>Drops a finished job's caches.</summary>
    public void Forget(string jobId)
    {
        _jobs.TryRemove(jobId, out _);
        if (_policies.TryRemove(jobId, out var policy)) policy.Dispose();
        if (_trainers.TryRemove(jobId, out var trainer)) trainer.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in _policies.Values) p.Dispose();
        foreach (var t in _trainers.Values) t.Dispose();
    }
}

/// <summary>The model rollouts sample from: the base model plus the policy version named by <see cref="Version"/>.</summary>
public sealed class RolloutPolicy : IDisposable
{
    /// <summary>Serialises use of the model (TorchSharp modules are not shared between threads).</summary>
    public SemaphoreSlim Lock { get; } = new(1, 1);

    /// <summary>The loaded model, or null.</summary>
    public DecoderModel? Model { get; set; }

    /// <summary>The state prefix the model reflects (null = the base model).</summary>
    public string? Version { get; set; }

    /// <inheritdoc />
    public void Dispose()
    {
        Model?.Dispose();
        Lock.Dispose();
    }
}

/// <summary>The one trainer of a job in this process, and how many steps it has applied.</summary>
public sealed class TrainerSlot : IDisposable
{
    /// <summary>One update at a time.</summary>
    public SemaphoreSlim Lock { get; } = new(1, 1);

    /// <summary>The policy being trained.</summary>
    public DecoderModel? Policy { get; set; }

    /// <summary>The frozen reference policy (the base model) when the job's KL coefficient (beta) is positive.</summary>
    public DecoderModel? Reference { get; set; }

    /// <summary>Its trainer.</summary>
    public Training.Trainer.PolicyTrainer? Trainer { get; set; }

    /// <summary>Updates applied to <see cref="Policy"/>; -1 when nothing is loaded.</summary>
    public int CompletedSteps { get; set; } = -1;

    /// <summary>Drops the loaded trainer (e.g. before reloading from a stored state).</summary>
    public void Reset()
    {
        Trainer?.Dispose();
        Policy?.Dispose();
        Reference?.Dispose();
        Trainer = null;
        Policy = null;
        Reference = null;
        CompletedSteps = -1;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Reset();
        Lock.Dispose();
    }
}
