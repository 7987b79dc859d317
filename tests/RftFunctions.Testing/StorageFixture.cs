using RftFunctions.Storage;
using Xunit;

namespace RftFunctions.Testing;

/// <summary>
/// Real storage for a test assembly: the account that <c>RFT_TEST_STORAGE</c> names (a connection string), or else a
/// private Azurite on free loopback ports with a temporary data folder, started once and stopped at the end.
/// Register it with <c>[assembly: AssemblyFixture(typeof(StorageFixture))]</c> and take it in test constructors.
/// </summary>
public sealed class StorageFixture : IAsyncLifetime
{
    /// <summary>The environment variable that points the tests at existing storage instead of a private Azurite.</summary>
    public const string EnvironmentVariable = "RFT_TEST_STORAGE";

    private AzuriteEmulator? _azurite;
    private int _counter;

    /// <summary>The connection string every test in the assembly uses.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The account behind <see cref="ConnectionString"/>.</summary>
    public StorageAccount Account { get; private set; } = null!;

    /// <summary>The private emulator, or null when <see cref="EnvironmentVariable"/> is set.</summary>
    public AzuriteEmulator? Azurite => _azurite;

    /// <summary>
    /// A name no other test in this run uses (lower-case letters and digits, valid for containers, queues and
    /// tables), so tests never see each other's data even on shared storage.
    /// </summary>
    public string UniqueName(string prefix = "t")
    {
        var n = Interlocked.Increment(ref _counter);
        return $"{prefix}{Environment.ProcessId:x}{n:x}{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 24, 63)].ToLowerInvariant();
    }

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            ConnectionString = configured;
        }
        else
        {
            var repositoryRoot = typeof(StorageFixture).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
                .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepositoryRoot")?.Value;
            string[] starts = repositoryRoot is { Length: > 0 }
                ? [AppContext.BaseDirectory, Directory.GetCurrentDirectory(), repositoryRoot]
                : [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];
            var toolDirectory = AzuriteEmulator.FindToolDirectory(starts);
            _azurite = await AzuriteEmulator.StartAsync(new AzuriteOptions(toolDirectory));
            ConnectionString = _azurite.ConnectionString;
        }
        Account = StorageAccount.FromConnectionString(ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null) await _azurite.DisposeAsync();
    }
}
