namespace RftFunctions.Durable.Tests;

/// <summary>RetryPolicy's delay rule (pure): first * coefficient^(n-1), capped, bounded by attempts, timeout and the failure filter.</summary>
public sealed class RetryPolicyTests
{
    private static readonly FailureDetails Failure = new("System.TimeoutException", "slow");

    [Fact]
    public void Delays_grow_by_the_coefficient_up_to_the_cap_and_stop_at_the_attempt_limit()
    {
        var policy = new RetryPolicy(5, TimeSpan.FromSeconds(1), 2.0, maxRetryInterval: TimeSpan.FromSeconds(5));
        var delays = Enumerable.Range(1, 5).Select(n => policy.DelayAfter(n, TimeSpan.Zero, Failure)).ToList();
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5), null], delays);
    }

    [Fact]
    public void Defaults_are_upstreams_and_timeout_and_filter_end_retries()
    {
        var constant = new RetryPolicy(3, TimeSpan.FromSeconds(2));
        Assert.Equal(1.0, constant.BackoffCoefficient);
        Assert.Equal(TimeSpan.FromHours(1), constant.MaxRetryInterval);
        Assert.Equal(Timeout.InfiniteTimeSpan, constant.RetryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), constant.DelayAfter(2, TimeSpan.FromDays(30), Failure));

        var bounded = new RetryPolicy(10, TimeSpan.FromSeconds(1), retryTimeout: TimeSpan.FromMinutes(1));
        Assert.NotNull(bounded.DelayAfter(1, TimeSpan.FromSeconds(59), Failure));
        Assert.Null(bounded.DelayAfter(1, TimeSpan.FromMinutes(1), Failure));

        var picky = new RetryPolicy(10, TimeSpan.FromSeconds(1)) { HandleFailure = f => f.ErrorType == "System.TimeoutException" };
        Assert.NotNull(picky.DelayAfter(1, TimeSpan.Zero, Failure));
        Assert.Null(picky.DelayAfter(1, TimeSpan.Zero, new FailureDetails("System.ArgumentException", "bad")));
    }

    [Fact]
    public void Invalid_arguments_are_refused_by_name()
    {
        Assert.Equal("maxNumberOfAttempts", Assert.ThrowsAny<ArgumentException>(() => new RetryPolicy(0, TimeSpan.FromSeconds(1))).ParamName);
        Assert.Equal("firstRetryInterval", Assert.ThrowsAny<ArgumentException>(() => new RetryPolicy(1, TimeSpan.Zero)).ParamName);
        Assert.Equal("backoffCoefficient", Assert.ThrowsAny<ArgumentException>(() => new RetryPolicy(1, TimeSpan.FromSeconds(1), 0.5)).ParamName);
    }
}
