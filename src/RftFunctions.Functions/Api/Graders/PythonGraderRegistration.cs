using RftFunctions.Graders.Python;

namespace RftFunctions.Functions.Api.Graders;

/// <summary>
/// The process's python grader pool from configuration: <c>Rft:PythonSandbox</c> (<c>bubblewrap</c>, the default, or
/// <c>unsafe-none</c>, an operator's explicit opt-out that is logged as a warning on every use) and the pool's
/// settings under <c>Rft:PythonGraders</c> (<see cref="PythonGraderPoolOptions"/>: Workers,
/// MaxConcurrentCallsPerProject, CallTimeout, MemoryLimitBytes, MaxProcesses, CpuSecondsPerWorker, TmpBytes,
/// BubblewrapExecutable, SandboxPython, SandboxHostUid, ...). The sandbox state is logged at start-up.
/// </summary>
public static class PythonGraderRegistration
{
    /// <summary>The sandbox mode setting.</summary>
    public const string ModeSetting = "Rft:PythonSandbox";

    /// <summary>The pool's settings section.</summary>
    public const string Section = "Rft:PythonGraders";

    /// <summary>Registers the pool (one per process) and its start-up report.</summary>
    public static IServiceCollection AddPythonGraders(this IServiceCollection services, IConfiguration configuration)
    {
        var options = ReadOptions(configuration);
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("RftFunctions.PythonGraders");
            return new PythonGraderPool(options with
            {
                UnsafeWarning = message => logger.LogWarning("{Warning}", message),
            });
        });
        services.AddHostedService<PythonSandboxStartupReport>();
        return services;
    }

    /// <summary>The pool options the configuration asks for (throws <see cref="InvalidOperationException"/> for an
    /// unknown sandbox mode, so a typo never means "no sandbox").</summary>
    public static PythonGraderPoolOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<PythonGraderPoolOptions>() ?? new PythonGraderPoolOptions();
        var mode = configuration[ModeSetting];
        return options with
        {
            Sandbox = mode?.Trim().ToLowerInvariant() switch
            {
                null or "" or "bubblewrap" => PythonSandboxMode.Bubblewrap,
                "unsafe-none" => PythonSandboxMode.UnsafeNone,
                _ => throw new InvalidOperationException($"{ModeSetting} must be 'bubblewrap' or 'unsafe-none', not '{mode}'."),
            },
        };
    }
}

/// <summary>Says at start-up whether python graders run sandboxed, unsandboxed, or not at all.</summary>
internal sealed class PythonSandboxStartupReport(PythonGraderPool pool, ILogger<PythonSandboxStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var status = pool.SandboxStatus;
        if (status.Isolated)
            logger.LogInformation("Python graders: {Status} (uid 65534, no network, read-only /usr, private /tmp)", status.Message);
        else if (status.Usable)
            logger.LogWarning("Python graders: {Status}. Set {Setting}=bubblewrap (the default) to sandbox them.", status.Message, PythonGraderRegistration.ModeSetting);
        else
            logger.LogError("Python graders are REFUSED on this host: {Status} ({Detail}). Install bubblewrap (Debian package " +
                            "'bubblewrap') or, knowingly, set {Setting}=unsafe-none.", status.Message, status.Detail, PythonGraderRegistration.ModeSetting);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
