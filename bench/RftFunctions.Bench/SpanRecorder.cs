using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using RftFunctions.Durable;

namespace RftFunctions.Bench;

/// <summary>One finished span of the durable runtime: when it ran and its tags.</summary>
internal sealed record Span(string Kind, string Name, DateTime Start, DateTime End, IReadOnlyDictionary<string, object?> Tags)
{
    public double Seconds => (End - Start).TotalSeconds;

    public double Tag(string name) => Tags.TryGetValue(name, out var v) && v is not null ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : 0;
}

/// <summary>
/// Listens to the durable runtime's spans (<see cref="DurableTracing"/>) in this process: activity invocations and
/// orchestration episodes with their phase timings, so a benchmark can say exactly when an activity was running and
/// where the time between activities went.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private readonly ConcurrentQueue<Span> _spans = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == DurableTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => _spans.Enqueue(new Span(a.OperationName,
                a.OperationName == DurableTracing.ActivitySpan ? a.GetTagItem("name") as string ?? "?" : a.GetTagItem("instance") as string ?? "?",
                a.StartTimeUtc, a.StartTimeUtc + a.Duration, a.TagObjects.ToDictionary(t => t.Key, t => t.Value))),
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public List<Span> Activities(DateTime from, DateTime to) => Clip(DurableTracing.ActivitySpan, from, to);

    public List<Span> Episodes(DateTime from, DateTime to) => Clip(DurableTracing.EpisodeSpan, from, to);

    private List<Span> Clip(string kind, DateTime from, DateTime to) =>
        [.. _spans.Where(s => s.Kind == kind && s.End > from && s.Start < to)
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

    /// <summary>Per activity name and per episode phase: counts and seconds; then the gaps with no activity running.</summary>
    public void PrintBreakdown(IReadOnlyList<Span> activities, IReadOnlyList<Span> episodes, double wallSeconds)
    {
        foreach (var group in activities.GroupBy(a => a.Name).OrderByDescending(g => g.Sum(a => a.Seconds)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"activity {group.Key,-28} n={group.Count(),4}  total {group.Sum(a => a.Seconds),7:0.00} s  mean {group.Average(a => a.Seconds) * 1000,7:0} ms  queue wait mean {group.Average(a => a.Tag("queue_wait_ms")),6:0} ms"));
        }
        var phases = string.Join(", ", DurableTracing.EpisodePhases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p} {episodes.Sum(e => e.Tag(p)) / 1000:0.00} s")));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"episodes n={episodes.Count}: total {episodes.Sum(e => e.Seconds):0.00} s, queue wait mean {(episodes.Count == 0 ? 0 : episodes.Average(e => e.Tag("queue_wait_ms"))):0} ms; phases: {phases}"));
        var gaps = Gaps(activities, episodes);
        var inGaps = gaps.Sum(g => episodes.Sum(e => Overlap(e, g)));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"no activity running: {gaps.Sum(g => (g.End - g.Start).TotalSeconds):0.00} s of {wallSeconds:0.00} s in {gaps.Count} gaps; episodes cover {inGaps:0.00} s of the gaps"));
    }

    /// <summary>Every span in start order, relative to <paramref name="origin"/>.</summary>
    public void PrintTimeline(DateTime origin, IReadOnlyList<Span> activities, IReadOnlyList<Span> episodes)
    {
        foreach (var s in activities.Concat(episodes).OrderBy(s => s.Start))
        {
            var detail = s.Kind == DurableTracing.EpisodeSpan
                ? string.Join(" ", DurableTracing.EpisodePhases.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p[..^3]}={s.Tag(p):0}")))
                  + string.Create(CultureInfo.InvariantCulture, $" wait={s.Tag("queue_wait_ms"):0} msgs={s.Tag("messages"):0}")
                : string.Create(CultureInfo.InvariantCulture, $"wait={s.Tag("queue_wait_ms"):0}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(s.Start - origin).TotalMilliseconds,8:0} {(s.End - origin).TotalMilliseconds,8:0} {(s.Kind == DurableTracing.EpisodeSpan ? "episode" : "activity"),-8} {s.Name,-34} {detail}"));
        }
    }

    /// <summary>Intervals with no activity running, from the first episode's start to the last one's end.</summary>
    private static List<(DateTime Start, DateTime End)> Gaps(IReadOnlyList<Span> activities, IReadOnlyList<Span> episodes)
    {
        var gaps = new List<(DateTime, DateTime)>();
        if (episodes.Count == 0) return gaps;
        DateTime end = episodes.Min(e => e.Start), last = episodes.Max(e => e.End);
        foreach (var s in activities.OrderBy(s => s.Start))
        {
            if (s.Start > end) gaps.Add((end, s.Start));
            if (s.End > end) end = s.End;
        }
        if (last > end) gaps.Add((end, last));
        return gaps;
    }

    private static double Overlap(Span s, (DateTime Start, DateTime End) gap)
    {
        var start = s.Start > gap.Start ? s.Start : gap.Start;
        var end = s.End < gap.End ? s.End : gap.End;
        return end > start ? (end - start).TotalSeconds : 0;
    }

    public void Dispose() => _listener.Dispose();
}
