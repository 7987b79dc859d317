namespace RftFunctions.Infra.Tests;

/// <summary>The repository's deployment expanded once for all invariant tests (default parameters, blob events on).</summary>
public sealed class SnapshotFixture : IAsyncLifetime
{
    private DeploymentSnapshot? _snapshot;

    /// <summary>The expanded deployment.</summary>
    public DeploymentSnapshot Snapshot => _snapshot ?? throw new InvalidOperationException("fixture not initialised");

    public async ValueTask InitializeAsync() => _snapshot = await DeploymentSnapshot.CreateAsync();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
