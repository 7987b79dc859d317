using DurableTask.AzureStorage;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// host.json's <c>extensions.durableTask</c> section, as the Durable Functions extension reads it, mapped onto the
/// engine's <see cref="AzureStorageOrchestrationServiceSettings"/> the way the extension maps it. The Function App's
/// host reads the same section, so both hosts run one task hub with the same settings. Members beyond the Functions
/// schema are marked as ours.
/// </summary>
public sealed record TaskHubOptions
{
    /// <summary>The configuration section (host.json as the Functions host flattens it).</summary>
    public const string ConfigurationSection = "AzureFunctionsJobHost:extensions:durableTask";

    /// <summary>The task hub: the queues, tables and containers one application's orchestrations live in.</summary>
    public string HubName { get; init; } = "RftHub";

    /// <summary>The Azure Storage provider settings.</summary>
    public TaskHubStorageOptions StorageProvider { get; init; } = new();

    /// <summary>Activities one worker process runs at once.</summary>
    public int MaxConcurrentActivityFunctions { get; init; } = 10 * Environment.ProcessorCount;

    /// <summary>Orchestration episodes one worker process runs at once.</summary>
    public int MaxConcurrentOrchestratorFunctions { get; init; } = 10 * Environment.ProcessorCount;

    /// <summary>Keep an instance's state in memory between episodes (saves reloading history on every hop).</summary>
    public bool ExtendedSessionsEnabled { get; init; }

    /// <summary>How long an idle extended session stays in memory.</summary>
    public int ExtendedSessionIdleTimeoutInSeconds { get; init; } = 30;

    /// <summary>Checks every value and returns this; throws <see cref="ArgumentException"/> naming the first bad field.</summary>
    public TaskHubOptions Validate()
    {
        ValidateHubName(HubName);
        var sp = StorageProvider ?? throw new ArgumentException($"{Prefix}storageProvider is missing.");
        Require(sp.PartitionCount is >= 1 and <= 16, "storageProvider.partitionCount", sp.PartitionCount, "must be between 1 and 16");
        Require(sp.ControlQueueBatchSize is >= 1 and <= 32, "storageProvider.controlQueueBatchSize", sp.ControlQueueBatchSize, "must be between 1 and 32 (the queue service's maximum per receive)");
        Require(sp.ControlQueueBufferThreshold is >= 1 and <= 1000, "storageProvider.controlQueueBufferThreshold", sp.ControlQueueBufferThreshold, "must be between 1 and 1000");
        Require(InRange(sp.ControlQueueVisibilityTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)), "storageProvider.controlQueueVisibilityTimeout", sp.ControlQueueVisibilityTimeout, "must be between 1 second and 7 days");
        Require(InRange(sp.WorkItemQueueVisibilityTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)), "storageProvider.workItemQueueVisibilityTimeout", sp.WorkItemQueueVisibilityTimeout, "must be between 1 second and 7 days");
        Require(InRange(sp.MaxQueuePollingInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)), "storageProvider.maxQueuePollingInterval", sp.MaxQueuePollingInterval, "must be between 100 ms and 10 minutes");
        Require(InRange(sp.LeaseInterval, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)), "storageProvider.leaseInterval", sp.LeaseInterval, "must be between 1 second and 5 minutes");
        Require(sp.LeaseRenewInterval > TimeSpan.Zero && sp.LeaseRenewInterval < sp.LeaseInterval, "storageProvider.leaseRenewInterval", sp.LeaseRenewInterval, "must be positive and shorter than leaseInterval");
        Require(InRange(sp.LeaseAcquireInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)), "storageProvider.leaseAcquireInterval", sp.LeaseAcquireInterval, "must be between 100 ms and 5 minutes");
        // The table partition manager renews its leases on the acquire loop (leaseRenewInterval is the blob manager's):
        // a loop slower than the lease would let a live worker's partitions expire and bounce between workers.
        Require(sp.LeaseAcquireInterval < sp.LeaseInterval, "storageProvider.leaseAcquireInterval", sp.LeaseAcquireInterval, "must be shorter than leaseInterval (leases are renewed on the acquire loop)");
        Require(MaxConcurrentActivityFunctions is >= 1 and <= 1000, "maxConcurrentActivityFunctions", MaxConcurrentActivityFunctions, "must be between 1 and 1000");
        Require(MaxConcurrentOrchestratorFunctions is >= 1 and <= 1000, "maxConcurrentOrchestratorFunctions", MaxConcurrentOrchestratorFunctions, "must be between 1 and 1000");
        Require(ExtendedSessionIdleTimeoutInSeconds is >= 1 and <= 3600, "extendedSessionIdleTimeoutInSeconds", ExtendedSessionIdleTimeoutInSeconds, "must be between 1 and 3600");
        return this;

        static bool InRange(TimeSpan value, TimeSpan min, TimeSpan max) => value >= min && value <= max;
        static void Require(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{Prefix}{field} = {value} is invalid: it {rule}.");
        }
    }

    /// <summary>The engine's settings for this hub; <paramref name="workerId"/> names this process in partition leases.</summary>
    public AzureStorageOrchestrationServiceSettings ToEngineSettings(StorageAccountClientProvider storage, string workerId, ILoggerFactory? loggerFactory)
    {
        Validate();
        var sp = StorageProvider;
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = HubName,
            StorageAccountClientProvider = storage,
            WorkerId = workerId,
            PartitionCount = sp.PartitionCount,
            ControlQueueBatchSize = sp.ControlQueueBatchSize,
            ControlQueueBufferThreshold = sp.ControlQueueBufferThreshold,
            ControlQueueVisibilityTimeout = sp.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = sp.WorkItemQueueVisibilityTimeout,
            MaxQueuePollingInterval = sp.MaxQueuePollingInterval,
            LeaseInterval = sp.LeaseInterval,
            LeaseRenewInterval = sp.LeaseRenewInterval,
            LeaseAcquireInterval = sp.LeaseAcquireInterval,
            MaxConcurrentTaskActivityWorkItems = MaxConcurrentActivityFunctions,
            MaxConcurrentTaskOrchestrationWorkItems = MaxConcurrentOrchestratorFunctions,
            ExtendedSessionsEnabled = ExtendedSessionsEnabled,
            ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(ExtendedSessionIdleTimeoutInSeconds),
        };
        if (loggerFactory is not null) settings.LoggerFactory = loggerFactory;
        return settings;
    }

    /// <summary>Task hub names follow Durable Functions' rule: 3-45 characters, letters and digits, starting with a letter.</summary>
    public static void ValidateHubName(string? hubName)
    {
        if (string.IsNullOrEmpty(hubName) || hubName.Length is < 3 or > 45 || !char.IsAsciiLetter(hubName[0]) || !hubName.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException(
                $"{Prefix}hubName = '{hubName}' is invalid: a task hub name must be 3-45 characters, only letters and digits, starting with a letter.");
        }
    }

    private const string Prefix = "extensions.durableTask.";
}

/// <summary>host.json's <c>extensions.durableTask.storageProvider</c> for Azure Storage.</summary>
public sealed record TaskHubStorageOptions
{
    /// <summary>The app setting holding the storage connection (connection string or identity-based prefix).</summary>
    public string ConnectionStringName { get; init; } = "AzureWebJobsStorage";

    /// <summary>Control-queue partitions (1-16); fixed for the life of a task hub.</summary>
    public int PartitionCount { get; init; } = 4;

    /// <summary>Control-queue messages received per poll (1-32).</summary>
    public int ControlQueueBatchSize { get; init; } = 32;

    /// <summary>Control-queue messages a partition buffers in memory before it stops receiving.</summary>
    public int ControlQueueBufferThreshold { get; init; } = 64;

    // Recovery defaults (the repository's host.json sets the same; Durable/README.md "Crash recovery" says why): a crashed
    // worker's received messages reappear one visibility timeout after its last renewal, and its partitions move one
    // lease after its last renewal plus one acquire tick, so its work is back within ~20 s of its death. A live worker's
    // messages never reappear: DurableTask.Core renews a running activity's and orchestration episode's messages every
    // 5 s while they run (for timeouts under ~35 s), so any timeout comfortably above 5 s is safe for long activities.

    /// <summary>How long a received control message stays hidden; renewed while its episode runs, so a crashed
    /// worker's orchestration messages reappear this long after its death.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a received activity message stays hidden; renewed (every 5 s) while the activity runs, so a
    /// long policy update is never redelivered while alive and a crashed worker's activity reappears this long after its death.</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The longest wait between polls of an idle queue (polling backs off up to this). Every hop of an orchestration
    /// (activity result to next activity) waits for up to two polls, so this bounds its latency; the repository's
    /// host.json sets 100 ms (the demo job's engine overhead: 0.12 at 1 s, 0.09 at 100 ms), which costs a few queue
    /// reads per second per busy worker and nothing on a worker scaled to zero.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ours (the engine's setting, not in Functions' schema): how long a partition lease lasts without renewal,
    /// i.e. how soon a crashed worker's partitions (and the orchestrations on them) move to a live one. A restarted
    /// process has a new worker id, so it too waits this out for its previous incarnation's partitions.</summary>
    public TimeSpan LeaseInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Ours: how often a worker renews its partition leases (the legacy blob partition manager's setting; the
    /// table partition manager the engine uses renews on the acquire loop).</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Ours: how often a worker looks for partitions to take (free, expired or to balance) and renews its own;
    /// an expired lease is taken at most this long after it expires.</summary>
    public TimeSpan LeaseAcquireInterval { get; init; } = TimeSpan.FromSeconds(5);
}
