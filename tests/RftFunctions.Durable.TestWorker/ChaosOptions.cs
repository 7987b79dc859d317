namespace RftFunctions.Durable.TestWorker;

/// <summary>Short leases and visibility timeouts so a killed worker's partitions and messages come back quickly.</summary>
public static class ChaosOptions
{
    /// <summary>The options every chaos process uses for hub <paramref name="hubName"/>.</summary>
    public static DurableTaskOptions For(string hubName) => new DurableTaskOptions
    {
        HubName = hubName,
        MaxConcurrentActivityFunctions = 16,
        // Kills interrupt activities on purpose; poison handling is tested elsewhere.
        MaxDeliveryAttempts = 50,
        StorageProvider = new AzureStorageProviderOptions
        {
            PartitionCount = 4,
            LeaseInterval = TimeSpan.FromSeconds(3),
            LeaseRenewInterval = TimeSpan.FromMilliseconds(750),
            ControlQueueVisibilityTimeout = TimeSpan.FromSeconds(4),
            WorkItemQueueVisibilityTimeout = TimeSpan.FromSeconds(4),
            MaxQueuePollingInterval = TimeSpan.FromMilliseconds(300),
        },
    }.Validate();
}
