namespace RftFunctions.Functions.Health;

/// <summary>
/// The wait before a background loop's next round: its normal interval while rounds succeed; after failures it doubles
/// up to <see cref="MaxDelay"/>, with ±20 % jitter, so many loops (and hosts) that lost storage together do not all
/// come back in the same instant. Resets on the first success. Jitter comes from <see cref="Random.Shared"/>: timing
/// only, it decides nothing a job computes.
/// </summary>
public sealed class StorageBackoff(TimeSpan interval)
{
    private readonly TimeSpan _interval = interval;

    /// <summary>The longest wait between failing rounds.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(15);

    private int _failures;

    /// <summary>The wait before the next round.</summary>
    public TimeSpan Delay { get; private set; } = interval;

    /// <summary>A round succeeded: back to the normal interval.</summary>
    public void Succeeded()
    {
        _failures = 0;
        Delay = _interval;
    }

    /// <summary>A round failed: wait longer next time (bounded).</summary>
    public void Failed()
    {
        _failures = Math.Min(_failures + 1, 16);
        var grown = Math.Min(Math.Max(_interval.TotalMilliseconds, 500) * Math.Pow(2, _failures - 1), MaxDelay.TotalMilliseconds);
        Delay = TimeSpan.FromMilliseconds(Math.Max(_interval.TotalMilliseconds, grown * (0.8 + (0.4 * Random.Shared.NextDouble()))));
    }
}
