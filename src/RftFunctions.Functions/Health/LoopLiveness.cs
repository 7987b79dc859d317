namespace RftFunctions.Functions.Health;

/// <summary>One long-running loop's state as <c>/healthz</c> and <c>rft doctor</c> report it.</summary>
/// <param name="Name">The loop (stable: <c>durable-engine</c>, <c>datasets-trigger</c>, ...).</param>
/// <param name="Ok">Running and beating within its allowance.</param>
/// <param name="State"><c>starting</c>, <c>running</c>, <c>stopped</c> or <c>stalled</c>.</param>
/// <param name="SecondsSinceBeat">Since the loop last said it went round (null before its first beat).</param>
/// <param name="Detail">Why it is not ok, or what it last reported.</param>
public sealed record LoopStatus(string Name, bool Ok, string State, double? SecondsSinceBeat, string? Detail);

/// <summary>
/// The liveness of every long-running loop of this process (issue 22): each loop registers with the longest silence it
/// may keep (its interval plus the slowest round it can have), beats every round whether the round succeeded or not
/// (a round that failed on storage and will retry is alive; storage itself is probed separately), and says when it ends
/// or finds itself stuck. A loop that ended while the process lives, never beat in time or reports a stall makes the
/// process unhealthy, so a container platform restarts it as a last resort.
/// </summary>
public sealed class LoopLiveness(TimeProvider time)
{
    private readonly Dictionary<string, LoopHandle> _loops = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public LoopLiveness()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Registers (or re-registers, on a restart) a loop allowed <paramref name="maxSilence"/> between beats.</summary>
    public LoopHandle Register(string name, TimeSpan maxSilence)
    {
        var handle = new LoopHandle(name, maxSilence, time);
        lock (_lock) _loops[name] = handle;
        return handle;
    }

    /// <summary>Every registered loop, by name.</summary>
    public IReadOnlyList<LoopStatus> Report()
    {
        List<LoopHandle> loops;
        lock (_lock) loops = [.. _loops.Values];
        return [.. loops.OrderBy(l => l.Name, StringComparer.Ordinal).Select(l => l.Status())];
    }
}

/// <summary>A registered loop's side of <see cref="LoopLiveness"/>.</summary>
public sealed class LoopHandle
{
    private readonly TimeProvider _time;
    private readonly long _registered;
    private readonly Lock _lock = new();
    private long? _lastBeat;
    private string _state = "starting";
    private string? _detail;

    internal LoopHandle(string name, TimeSpan maxSilence, TimeProvider time)
    {
        Name = name;
        MaxSilence = maxSilence;
        _time = time;
        _registered = time.GetTimestamp();
    }

    /// <summary>The loop's name.</summary>
    public string Name { get; }

    /// <summary>The longest it may go without a beat.</summary>
    public TimeSpan MaxSilence { get; }

    /// <summary>The loop went round (<paramref name="detail"/>: what it last saw, shown in the report).</summary>
    public void Beat(string? detail = null)
    {
        lock (_lock)
        {
            _lastBeat = _time.GetTimestamp();
            _state = "running";
            _detail = detail;
        }
    }

    /// <summary>The loop found itself unable to make progress it should have made (it still beats).</summary>
    public void Stalled(string why)
    {
        lock (_lock)
        {
            _lastBeat = _time.GetTimestamp();
            _state = "stalled";
            _detail = why;
        }
    }

    /// <summary>The loop ended (for good, or until it is registered again).</summary>
    public void Stopped(string why)
    {
        lock (_lock)
        {
            _state = "stopped";
            _detail = why;
        }
    }

    /// <summary>The loop's state now.</summary>
    public LoopStatus Status()
    {
        lock (_lock)
        {
            var since = _time.GetElapsedTime(_lastBeat ?? _registered);
            double? seconds = _lastBeat is null ? null : Math.Round(since.TotalSeconds, 1);
            if (_state is "stopped" or "stalled") return new LoopStatus(Name, false, _state, seconds, _detail);
            if (since > MaxSilence)
            {
                var silence = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"no beat for {since.TotalSeconds:F0} s (allowed {MaxSilence.TotalSeconds:F0} s)");
                return new LoopStatus(Name, false, "stalled", seconds, silence);
            }
            return new LoopStatus(Name, true, _state, seconds, _detail);
        }
    }
}
