using RftFunctions.Graders.Python;

namespace RftFunctions.Graders.Tests;

/// <summary>One small pool shared by the python tests (2 workers, short timeout, 256 MiB memory limit).</summary>
public sealed class PythonPoolFixture : IAsyncLifetime
{
    public PythonGraderPool Pool { get; } = new(new PythonGraderPoolOptions
    {
        Workers = 2,
        CallTimeout = TimeSpan.FromSeconds(3),
        MemoryLimitBytes = 256L * 1024 * 1024,
    });

    public ValueTask InitializeAsync() => new(Pool.WarmUpAsync());

    public ValueTask DisposeAsync() => Pool.DisposeAsync();
}
