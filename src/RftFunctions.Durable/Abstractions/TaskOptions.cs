namespace RftFunctions.Durable;

/// <summary>Options for one activity or sub-orchestration call.</summary>
/// <param name="Retry">How to retry the call when it fails; null means no retry.</param>
public record TaskOptions(TaskRetryOptions? Retry = null)
{
    /// <summary>Options that retry with <paramref name="policy"/>.</summary>
    public static TaskOptions FromRetryPolicy(RetryPolicy policy) => new(new TaskRetryOptions(policy));

    /// <summary>Options that retry as long as <paramref name="handler"/> says so.</summary>
    public static TaskOptions FromRetryHandler(AsyncRetryHandler handler) => new(new TaskRetryOptions(handler));

    /// <summary>Options that retry as long as <paramref name="handler"/> says so.</summary>
    public static TaskOptions FromRetryHandler(RetryHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return new(new TaskRetryOptions(context => Task.FromResult(handler(context))));
    }

    /// <summary>Sub-orchestration options with the given child instance id.</summary>
    public SubOrchestrationOptions WithInstanceId(string? instanceId) => new(Retry, instanceId);
}

/// <summary>Options for a sub-orchestration call.</summary>
/// <param name="Retry">How to retry the call when it fails.</param>
/// <param name="InstanceId">The child's instance id; null derives one deterministically from the parent.</param>
public record SubOrchestrationOptions(TaskRetryOptions? Retry = null, string? InstanceId = null) : TaskOptions(Retry);

/// <summary>A retry policy or a retry handler (exactly one).</summary>
public sealed class TaskRetryOptions
{
    /// <summary>Retries by a declarative policy.</summary>
    public TaskRetryOptions(RetryPolicy policy) => Policy = policy ?? throw new ArgumentNullException(nameof(policy));

    /// <summary>Retries while the handler returns true; the handler may await durable timers for back-off.</summary>
    public TaskRetryOptions(AsyncRetryHandler handler) => Handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <summary>The declarative policy, if any.</summary>
    public RetryPolicy? Policy { get; }

    /// <summary>The handler, if any.</summary>
    public AsyncRetryHandler? Handler { get; }

    /// <summary>Converts a policy.</summary>
    public static implicit operator TaskRetryOptions(RetryPolicy policy) => new(policy);
}

/// <summary>Decides, after a failed attempt, whether to try again.</summary>
public delegate bool RetryHandler(RetryContext context);

/// <summary>Decides, after a failed attempt, whether to try again; may await durable timers.</summary>
public delegate Task<bool> AsyncRetryHandler(RetryContext context);

/// <summary>What a retry handler knows about the failed attempt.</summary>
/// <param name="OrchestrationContext">The calling orchestration (use it for durable timers).</param>
/// <param name="LastAttemptNumber">1 after the first failure.</param>
/// <param name="LastFailure">Why the last attempt failed.</param>
/// <param name="TotalRetryTime">Orchestration time since the first attempt was scheduled.</param>
/// <param name="CancellationToken">Cancelled when the call is abandoned.</param>
public sealed record RetryContext(
    TaskOrchestrationContext OrchestrationContext,
    int LastAttemptNumber,
    FailureDetails LastFailure,
    TimeSpan TotalRetryTime,
    CancellationToken CancellationToken);

/// <summary>
/// Exponential back-off: attempt n (1-based) waits <c>FirstRetryInterval * BackoffCoefficient^(n-1)</c>, capped at
/// <see cref="MaxRetryInterval"/>; no retry once <see cref="MaxNumberOfAttempts"/> attempts failed or
/// <see cref="RetryTimeout"/> passed. Every wait is a durable timer.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>Creates a policy; see the property docs for each argument.</summary>
    public RetryPolicy(
        int maxNumberOfAttempts,
        TimeSpan firstRetryInterval,
        double backoffCoefficient = 1.0,
        TimeSpan? maxRetryInterval = null,
        TimeSpan? retryTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNumberOfAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(firstRetryInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(backoffCoefficient, 1.0);
        MaxNumberOfAttempts = maxNumberOfAttempts;
        FirstRetryInterval = firstRetryInterval;
        BackoffCoefficient = backoffCoefficient;
        MaxRetryInterval = maxRetryInterval ?? TimeSpan.FromHours(1);
        RetryTimeout = retryTimeout ?? Timeout.InfiniteTimeSpan;
    }

    /// <summary>Total attempts including the first.</summary>
    public int MaxNumberOfAttempts { get; }

    /// <summary>The wait before the first retry.</summary>
    public TimeSpan FirstRetryInterval { get; }

    /// <summary>The growth factor of the wait per attempt (1.0 = constant).</summary>
    public double BackoffCoefficient { get; }

    /// <summary>The longest single wait (default one hour).</summary>
    public TimeSpan MaxRetryInterval { get; }

    /// <summary>No retry starts after this much orchestration time since the first attempt (default infinite).</summary>
    public TimeSpan RetryTimeout { get; }

    /// <summary>Predicate on the failure; retries only failures it accepts (default: all).</summary>
    public Func<FailureDetails, bool>? HandleFailure { get; init; }

    /// <summary>The delay before retry number <paramref name="failedAttempts"/> (1-based), or null for no retry.</summary>
    public TimeSpan? DelayAfter(int failedAttempts, TimeSpan elapsed, FailureDetails failure)
    {
        if (failedAttempts >= MaxNumberOfAttempts) return null;
        if (HandleFailure is not null && !HandleFailure(failure)) return null;
        if (RetryTimeout != Timeout.InfiniteTimeSpan && elapsed >= RetryTimeout) return null;
        var ticks = FirstRetryInterval.Ticks * Math.Pow(BackoffCoefficient, failedAttempts - 1);
        var delay = ticks >= MaxRetryInterval.Ticks ? MaxRetryInterval : TimeSpan.FromTicks((long)ticks);
        return delay;
    }
}

/// <summary>Options for starting a new orchestration instance.</summary>
/// <param name="InstanceId">The instance id; null makes a new GUID.</param>
/// <param name="StartAt">Start no earlier than this time (a scheduled start); null starts now.</param>
public sealed record StartOrchestrationOptions(string? InstanceId = null, DateTimeOffset? StartAt = null);
