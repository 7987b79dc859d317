using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Model;
using RftFunctions.Testing;
using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// A private task hub, job tables and container on the test Azurite, with one in-process worker
/// and the <see cref="TrainingJobService"/>; a tiny seeded Qwen3 model (hidden 32, 2 layers) as the base model.
/// </summary>
internal sealed class TrainingTestHost : IAsyncDisposable
{
    private static readonly Lazy<string> ModelDirectory = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), "rft-orch-tiny259-" + Environment.ProcessId);
        if (!File.Exists(Path.Combine(dir, "config.json")))
            TinyModelFactory.CreateFolder(dir, ModelArchitecture.Qwen3, seed: 11, new TinyModelSize(HiddenSize: 32, IntermediateSize: 64, Layers: 2, Heads: 4, KeyValueHeads: 2, HeadDim: 8, VocabSize: ByteTokenizer.VocabSize));
        return dir;
    });

    /// <summary>A multi grader: fuzzy similarity to a reference of U+FFFD characters (random bytes decode to it often,
    /// so rewards vary within groups) and a string_check sub-grader.</summary>
    public const string Grader = """
        {"type":"multi","name":"score","calculate_output":"sim + hit",
         "graders":{
           "sim":{"type":"text_similarity","name":"sim","input":"{{ sample.output_text }}","reference":"{{ item.reference }}","evaluation_metric":"fuzzy_match"},
           "hit":{"type":"string_check","name":"hit","input":"{{ sample.output_text }}","reference":"a","operation":"like"}}}
        """;

    private readonly ServiceProvider _services;
    private readonly StorageFixture _storage;

    private TrainingTestHost(StorageFixture storage, ServiceProvider services, JobStorageOptions jobOptions, TaskHubOptions durableOptions)
    {
        _storage = storage;
        _services = services;
        JobOptions = jobOptions;
        DurableOptions = durableOptions;
    }

    public JobStorageOptions JobOptions { get; }

    public TaskHubOptions DurableOptions { get; }

    public TrainingJobService Jobs => _services.GetRequiredService<TrainingJobService>();

    public JobStore Store => _services.GetRequiredService<JobStore>();

    public DurableTaskClient Client => _services.GetRequiredService<DurableTaskClient>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // runWorker false: a client only (the job service), for tests whose worker is another OS process.
    // faults: replaces activities of the app's catalog (fault injection). graders: the base grader services (a python pool).
    public static async Task<TrainingTestHost> StartAsync(StorageFixture storage, JobStorageOptions? jobOptions = null, TaskHubOptions? durableOptions = null, bool runWorker = true,
        Action<TaskCatalog>? faults = null, GraderServices? graders = null)
    {
        jobOptions ??= new JobStorageOptions
        {
            Container = storage.UniqueName("jobs"),
            JobsTable = storage.UniqueName("Jobs").Replace("-", "", StringComparison.Ordinal),
            EventsTable = storage.UniqueName("Events").Replace("-", "", StringComparison.Ordinal),
            CheckpointsTable = storage.UniqueName("Ckpts").Replace("-", "", StringComparison.Ordinal),
        };
        durableOptions ??= new TaskHubOptions
        {
            HubName = storage.UniqueName("hub"),
            StorageProvider = new TaskHubStorageOptions
            {
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(500),
                LeaseInterval = TimeSpan.FromSeconds(5),
                LeaseRenewInterval = TimeSpan.FromSeconds(1),
                LeaseAcquireInterval = TimeSpan.FromSeconds(1),
                // Work a stopped worker had taken comes back quickly for its replacement (renewed while it runs).
                ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(4),
                WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(4),
            },
        };
        var services = new ServiceCollection();
        services.AddSingleton(storage.Account);
        services.AddRftTraining(jobOptions, graders);
        services.AddLogging();
        services.AddTaskHub(storage.Account, durableOptions, runWorker);
        if (faults is not null)
        {
            var catalog = RftOrchestrations.Register(new TaskCatalog());
            faults(catalog);
            services.AddSingleton(catalog);
        }
        var provider = services.BuildServiceProvider();
        if (runWorker) await provider.GetRequiredService<TaskHubWorkerService>().StartAsync(Ct);
        return new TrainingTestHost(storage, provider, jobOptions, durableOptions);
    }

    /// <summary>A second host on the same hub and storage (a restarted worker process).</summary>
    public Task<TrainingTestHost> RestartAsync() => StartAsync(_storage, JobOptions, DurableOptions);

    public static RftTrainingConfig Config(long seed, int evalInterval = 2, int stepsPerGeneration = 2) => new()
    {
        Seed = seed,
        Epochs = 1,
        PromptsPerStep = 2,
        SamplesPerPrompt = 4,
        MaxCompletionTokens = 8,
        LoraRank = 4,
        LoraAlpha = 8,
        LearningRate = 5e-3,
        EvalInterval = evalInterval,
        EvalSamples = 2,
        StepsPerGeneration = stepsPerGeneration,
    };

    /// <summary>Uploads <paramref name="trainLines"/> training and <paramref name="validLines"/> validation lines and creates
    /// the job; <paramref name="stop"/> replaces the default stop strings (upper-case letters and digits).</summary>
    public async Task<string> CreateJobAsync(string jobId, RftTrainingConfig config, int trainLines = 6, string grader = Grader,
        IReadOnlyList<string>? stop = null, int validLines = 2)
    {
        static string Line(int i) => JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = $"Say something {i}" } },
            reference = "\uFFFD\uFFFD\uFFFD\uFFFD",
        });
        var container = Store.Container;
        await container.CreateIfNotExistsAsync(cancellationToken: Ct);
        await container.GetBlobClient($"{jobId}/input/train.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", Enumerable.Range(0, trainLines).Select(Line))), Ct);
        await container.GetBlobClient($"{jobId}/input/valid.jsonl").UploadAsync(BinaryData.FromString(string.Join("\n", Enumerable.Range(100, validLines).Select(Line))), Ct);
        await Jobs.CreateAsync(new TrainingJobSpec
        {
            JobId = jobId,
            BaseModel = "tiny-qwen3",
            BaseModelDirectory = ModelDirectory.Value,
            TrainingBlob = $"{jobId}/input/train.jsonl",
            ValidationBlob = $"{jobId}/input/valid.jsonl",
            Grader = JsonDocument.Parse(grader).RootElement.Clone(),
            Config = config,
            Suffix = "unit",
            RolloutShardPrompts = 1,
            // A random byte model rarely samples EOS; stopping at an upper-case letter or digit (~14% per token) makes
            // most completions finish inside 8 tokens, so graders score them instead of flagging truncation.
            Stop = stop ?? [.. Enumerable.Range('A', 26).Concat(Enumerable.Range('0', 10)).Select(c => ((char)c).ToString())],
        }, cancellationToken: Ct);
        return jobId;
    }

    public async Task<OrchestrationMetadata> WaitAsync(string jobId, int seconds = 90)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return await Client.WaitForInstanceCompletionAsync(jobId, getInputsAndOutputs: true, cts.Token);
    }

    /// <summary>Polls the job row until <paramref name="condition"/> holds (bounded).</summary>
    public async Task<FineTuningJobObject> WaitForJobAsync(string jobId, Func<FineTuningJobObject, bool> condition, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var job = await Store.GetAsync(jobId, Ct);
            if (job is not null && condition(job)) return job;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {jobId} never reached the condition; last status {job?.Status}, steps {job?.TrainedSteps}");
            await Task.Delay(100, Ct);
        }
    }

    /// <summary>Every event, oldest first.</summary>
    public async Task<List<JobEventObject>> EventsAsync(string jobId)
    {
        var all = new List<JobEventObject>();
        string? after = null;
        while (true)
        {
            var (page, more) = await Store.ListEventsAsync(jobId, after, 3, Ct);
            all.AddRange(page);
            if (!more) break;
            after = page[^1].Id;
        }
        all.Reverse();
        return all;
    }

    public async ValueTask DisposeAsync()
    {
        // Stop the worker (as a host would), then free the cached models and trainers.
        if (_services.GetService<TaskHubWorkerService>() is { } worker) await worker.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}
