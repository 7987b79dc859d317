namespace RftFunctions.Durable;

/// <summary>
/// The runtime's settings, in the shape of host.json's <c>extensions.durableTask</c> section (bind it from
/// configuration, then call <see cref="Validate"/>). Members beyond the Functions schema are marked as ours.
/// </summary>
public sealed record DurableTaskOptions
{
    /// <summary>The configuration section the app binds (host.json as flattened by the Functions host).</summary>
    public const string ConfigurationSection = "AzureFunctionsJobHost:extensions:durableTask";

    /// <summary>The task hub: the set of queues, tables and containers one application's orchestrations live in.</summary>
    public string HubName { get; init; } = "RftFunctionsHub";

    /// <summary>The Azure Storage provider settings.</summary>
    public AzureStorageProviderOptions StorageProvider { get; init; } = new();

    /// <summary>Activities one worker process runs at once, across pools without their own limit.</summary>
    public int MaxConcurrentActivityFunctions { get; init; } = 10 * Environment.ProcessorCount;

    /// <summary>Orchestration episodes one worker process runs at once.</summary>
    public int MaxConcurrentOrchestratorFunctions { get; init; } = 10 * Environment.ProcessorCount;

    /// <summary>Keep instance history in memory between episodes (revalidated by the sentinel ETag on each episode).</summary>
    public bool ExtendedSessionsEnabled { get; init; } = true;

    /// <summary>Ours: deliveries of an activity message before it is treated as poison and failed with a reason.</summary>
    public int MaxDeliveryAttempts { get; init; } = 5;

    /// <summary>
    /// Ours: the worker pools this process serves and each pool's concurrency limit, e.g. <c>{"gpu": 1, "cpu": 4}</c>.
    /// Null serves every registered pool with <see cref="MaxConcurrentActivityFunctions"/>; empty serves none (a
    /// process that only runs orchestrations).
    /// </summary>
    public Dictionary<string, int>? WorkerPools { get; init; }

    /// <summary>Ours: whether this process runs orchestrations (owns control-queue partitions). Pool-only workers set false.</summary>
    public bool ProcessOrchestrations { get; init; } = true;

    /// <summary>
    /// Ours: on stop, how long running activities get to observe their cancellation token. Work items still running
    /// after it are abandoned (made visible again for another worker, their results dropped) so that stopping never
    /// waits on activity code that ignores cancellation (a long training step), and never reports it failed.
    /// </summary>
    public TimeSpan ActivityStopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Checks every value and returns this; throws <see cref="ArgumentException"/> naming the first bad field.
    /// </summary>
    public DurableTaskOptions Validate()
    {
        const string Prefix = "extensions.durableTask.";
        ValidateHubName(HubName);
        var sp = StorageProvider ?? throw new ArgumentException($"{Prefix}storageProvider is missing.");
        Require(sp.PartitionCount is >= 1 and <= 16, "storageProvider.partitionCount", sp.PartitionCount, "must be between 1 and 16");
        Require(sp.ControlQueueBatchSize is >= 1 and <= 32, "storageProvider.controlQueueBatchSize", sp.ControlQueueBatchSize, "must be between 1 and 32 (the queue service's maximum per receive)");
        Require(sp.ControlQueueVisibilityTimeout >= TimeSpan.FromSeconds(1) && sp.ControlQueueVisibilityTimeout <= TimeSpan.FromDays(7), "storageProvider.controlQueueVisibilityTimeout", sp.ControlQueueVisibilityTimeout, "must be between 1 second and 7 days");
        Require(sp.WorkItemQueueVisibilityTimeout >= TimeSpan.FromSeconds(1) && sp.WorkItemQueueVisibilityTimeout <= TimeSpan.FromDays(7), "storageProvider.workItemQueueVisibilityTimeout", sp.WorkItemQueueVisibilityTimeout, "must be between 1 second and 7 days");
        Require(sp.MaxQueuePollingInterval >= TimeSpan.FromMilliseconds(10) && sp.MaxQueuePollingInterval <= TimeSpan.FromMinutes(10), "storageProvider.maxQueuePollingInterval", sp.MaxQueuePollingInterval, "must be between 10 ms and 10 minutes");
        Require(sp.LeaseInterval >= TimeSpan.FromSeconds(1), "storageProvider.leaseInterval", sp.LeaseInterval, "must be at least 1 second");
        Require(sp.LeaseRenewInterval > TimeSpan.Zero && sp.LeaseRenewInterval < sp.LeaseInterval, "storageProvider.leaseRenewInterval", sp.LeaseRenewInterval, "must be positive and shorter than leaseInterval");
        Require(sp.MaxTimerChunk >= TimeSpan.FromSeconds(1) && sp.MaxTimerChunk < TimeSpan.FromDays(7), "storageProvider.maxTimerChunk", sp.MaxTimerChunk, "must be between 1 second and 7 days (the queue service's maximum delay)");
        Require(MaxConcurrentActivityFunctions >= 1, "maxConcurrentActivityFunctions", MaxConcurrentActivityFunctions, "must be at least 1");
        Require(MaxConcurrentOrchestratorFunctions >= 1, "maxConcurrentOrchestratorFunctions", MaxConcurrentOrchestratorFunctions, "must be at least 1");
        Require(ActivityStopGracePeriod >= TimeSpan.Zero && ActivityStopGracePeriod <= TimeSpan.FromMinutes(10), "activityStopGracePeriod", ActivityStopGracePeriod, "must be between 0 and 10 minutes");
        Require(MaxDeliveryAttempts >= 1, "maxDeliveryAttempts", MaxDeliveryAttempts, "must be at least 1");
        foreach (var (pool, limit) in WorkerPools ?? [])
        {
            try
            {
                DurableTaskRegistry.ValidatePool(pool);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"{Prefix}workerPools: {ex.Message}", ex);
            }
            Require(limit >= 1, $"workerPools.{pool}", limit, "must be at least 1");
            Require(AzureStorage.TaskHubNames.WorkItemQueue(HubName, pool).Length <= 63, $"workerPools.{pool}", pool, $"makes the queue name '{AzureStorage.TaskHubNames.WorkItemQueue(HubName, pool)}' longer than 63 characters; use a shorter hub or pool name");
        }
        return this;

        static void Require(bool ok, string field, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{Prefix}{field} = {value} is invalid: it {rule}.");
        }
    }

    /// <summary>Task hub names follow Durable Functions' rule: 3-45 characters, letters and digits, starting with a letter.</summary>
    public static void ValidateHubName(string? hubName)
    {
        if (string.IsNullOrEmpty(hubName) || hubName.Length is < 3 or > 45 || !char.IsAsciiLetter(hubName[0]) || !hubName.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException(
                $"extensions.durableTask.hubName = '{hubName}' is invalid: a task hub name must be 3-45 characters, only letters and digits, starting with a letter.");
        }
    }
}

/// <summary>host.json's <c>extensions.durableTask.storageProvider</c> for Azure Storage.</summary>
public sealed record AzureStorageProviderOptions
{
    /// <summary>The app setting holding the storage connection (connection string or identity-based prefix).</summary>
    public string ConnectionStringName { get; init; } = "AzureWebJobsStorage";

    /// <summary>Control-queue partitions (1-16); instances are spread over them by FNV-1a of their id. Fixed per hub.</summary>
    public int PartitionCount { get; init; } = 4;

    /// <summary>Control-queue messages received per poll (1-32).</summary>
    public int ControlQueueBatchSize { get; init; } = 32;

    /// <summary>How long a received control message stays hidden; a crashed worker's messages reappear after it.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a received activity message stays hidden; renewed while the activity runs.</summary>
    public TimeSpan WorkItemQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest wait between polls of an idle queue (polling backs off up to this).</summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ours: how long a partition lease lasts without renewal.</summary>
    public TimeSpan LeaseInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Ours: how often leases are renewed and rebalanced.</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Ours: the longest delay a timer message is sent with; longer timers hop in chunks (queue maximum is 7 days).</summary>
    public TimeSpan MaxTimerChunk { get; init; } = TimeSpan.FromDays(6);
}
