using Microsoft.DurableTask;
using RftFunctions.Functions.Health;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// Runs an activity again, inside the same work item, when it failed because storage did not answer (issue 22): it waits
/// with backoff and jitter while storage is away, up to <see cref="MaxWait"/>, instead of failing the attempt. The
/// orchestrations' retry policy (3 attempts over ~20 s) is sized for faults of a worker, not for a storage outage of a
/// minute, which would otherwise fail a job whose every step is sound. Activities are idempotent (outputs keyed by their
/// inputs), so running one again is safe; a failure of any other kind, or the worker stopping, ends it as before.
/// </summary>
public sealed class OutageTolerantActivity(string name, ITaskActivity inner, WorkerShutdown shutdown, ILogger logger) : ITaskActivity
{
    /// <summary>The longest an activity waits for storage before its attempt fails after all.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(10);

    /// <summary>The first wait; it doubles up to <see cref="StorageBackoff.MaxDelay"/>.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public Type InputType => inner.InputType;

    /// <inheritdoc />
    public Type OutputType => inner.OutputType;

    /// <inheritdoc />
    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        ArgumentNullException.ThrowIfNull(context);
        var backoff = new StorageBackoff(FirstDelay);
        var waited = TimeSpan.Zero;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await inner.RunAsync(context, input);
            }
            catch (Exception e) when (StorageErrors.IsOutage(e) && waited < MaxWait && !shutdown.Token.IsCancellationRequested)
            {
                backoff.Failed();
                logger.LogWarning("{Activity} for {Instance}: storage unavailable ({Error}); running it again in {Delay} (attempt {Attempt})",
                    name, context.InstanceId, e.GetType().Name, backoff.Delay, attempt + 1);
                try
                {
                    await Task.Delay(backoff.Delay, shutdown.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new OperationCanceledException("the worker is stopping", e, shutdown.Token);
                }
                waited += backoff.Delay;
            }
        }
    }
}
