using RftFunctions.Storage;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// Starts a private Azurite on the standard ports when the configured storage is the development emulator and
/// nothing listens there yet, so <c>UseDevelopmentStorage=true</c> works on a fresh machine with no set-up.
/// </summary>
public static class EmbeddedAzurite
{
    /// <summary>The emulator it started, or null when storage is elsewhere or already running.</summary>
    public static async Task<AzuriteEmulator?> StartIfNeededAsync(
        StorageAccount account, RftHostOptions options, string contentRoot, TextWriter log, CancellationToken cancellationToken)
    {
        if (!account.IsDevelopmentStorage || !options.EmbeddedAzurite) return null;
        if (AzuriteEmulator.IsListening(DevelopmentStorage.DefaultBlobPort))
        {
            await log.WriteLineAsync("Development storage is already running on 127.0.0.1:10000; using it.").ConfigureAwait(false);
            return null;
        }
        var toolDirectory = AzuriteEmulator.FindToolDirectory(contentRoot, AppContext.BaseDirectory);
        var data = Path.GetFullPath(Path.Combine(contentRoot, options.AzuriteDataDirectory));
        await log.WriteLineAsync($"Starting embedded Azurite (data in {data}).").ConfigureAwait(false);
        return await AzuriteEmulator.StartAsync(
            new AzuriteOptions(toolDirectory, data, DevelopmentStorage.DefaultBlobPort, DevelopmentStorage.DefaultQueuePort, DevelopmentStorage.DefaultTablePort),
            cancellationToken).ConfigureAwait(false);
    }
}
