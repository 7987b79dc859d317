using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using RftFunctions.Functions.Durable;

namespace RftFunctions.Bench;

/// <summary>One finished activity invocation: which activity and when it ran.</summary>
internal sealed record Span(string Name, DateTime Start, DateTime End)
{
    public double Seconds => (End - Start).TotalSeconds;
}

/// <summary>
/// Listens to the worker's activity spans (<see cref="TracedActivity"/>) in this process, so a benchmark can say
/// exactly when an activity was running and how much of a job's wall time fell between activities (dispatch, queues,
/// history, replay: the engine's cost).
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ConcurrentQueue<Span> _spans = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TracedActivity.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _spans.Enqueue(new Span(a.GetTagItem("name") as string ?? "?", a.StartTimeUtc, a.StartTimeUtc + a.Duration)),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The spans overlapping [from, to], clipped to it, in start order.</summary>
    public List<Span> Activities(DateTime from, DateTime to) =>
        [.. _spans.Where(s => s.End > from && s.Start < to)
            .Select(s => s with { Start = s.Start < from ? from : s.Start, End = s.End > to ? to : s.End })
            .OrderBy(s => s.Start)];

    /// <summary>Seconds covered by at least one of <paramref name="spans"/>.</summary>
    public static double UnionSeconds(IEnumerable<Span> spans)
    {
        double total = 0;
        DateTime? start = null, end = null;
        foreach (var s in spans.OrderBy(s => s.Start))
        {
            if (end is { } e && s.Start <= e)
            {
                if (s.End > e) end = s.End;
                continue;
            }
            if (start is { } a && end is { } b) total += (b - a).TotalSeconds;
            (start, end) = (s.Start, s.End);
        }
        if (start is { } first && end is { } last) total += (last - first).TotalSeconds;
        return total;
    }

    /// <summary>Per activity name: counts and seconds.</summary>
    public static void PrintBreakdown(IReadOnlyList<Span> activities, double wallSeconds)
    {
        foreach (var group in activities.GroupBy(a => a.Name).OrderByDescending(g => g.Sum(a => a.Seconds)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"activity {group.Key,-28} n={group.Count(),4}  total {group.Sum(a => a.Seconds),7:0.00} s  mean {group.Average(a => a.Seconds) * 1000,7:0} ms"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"no activity running: {wallSeconds - UnionSeconds(activities):0.00} s of {wallSeconds:0.00} s"));
    }

    /// <summary>Every span in start order, relative to <paramref name="origin"/>.</summary>
    public static void PrintTimeline(DateTime origin, IReadOnlyList<Span> activities)
    {
        foreach (var s in activities)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(s.Start - origin).TotalMilliseconds,8:0} {(s.End - origin).TotalMilliseconds,8:0} {s.Name}"));
    }

    public void Dispose() => _listener.Dispose();
}
