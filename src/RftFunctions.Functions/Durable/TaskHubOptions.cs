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

    /// <summary>How long a received control message stays hidden; a crashed worker's messages reappear after it.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a received activity message stays hidden; renewed while the activity runs.</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest wait between polls of an idle queue (polling backs off up to this). Every hop of an orchestration
    /// (activity result to next activity) waits for up to two polls, so this bounds its latency; the repository's
    /// host.json sets 100 ms (the demo job's engine overhead: 0.12 at 1 s, 0.09 at 100 ms), which costs a few queue
    /// reads per second per busy worker and nothing on a worker scaled to zero.
    /// </summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ours (the engine's setting, not in Functions' schema): how long a partition lease lasts without renewal,
    /// i.e. how soon a crashed worker's partitions move to a live one.</summary>
    public TimeSpan LeaseInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ours: how often a worker renews its partition leases.</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Ours: how often a worker looks for partitions to take (free, expired or to balance).</summary>
    public TimeSpan LeaseAcquireInterval { get; init; } = TimeSpan.FromSeconds(10);
}
