using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Monitors;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// A health monitor's firing as a job event: level <c>warn</c>, type <c>message</c>, the detector's explanation as the
/// message and, in <c>data</c>: <c>code</c> (<c>monitor.NAME</c>, stable), <c>detector</c>, <c>step</c>, <c>action</c>
/// (<c>warn</c> or <c>pause</c>), <c>evidence</c> (the numbers the rule compared, by name) and <c>samples</c> (up to three
/// <c>{id, reward, length, excerpt}</c>). Recorded once per (detector, step), even when a re-run episode asks again.
/// </summary>
internal static class MonitorEvents
{
    /// <summary>The prefix of every monitor event code.</summary>
    public const string CodePrefix = "monitor.";

    /// <summary>Appends each firing's event (idempotent per detector and step).</summary>
    public static async Task AppendAsync(JobStore store, string jobId, IReadOnlyList<SequencedFiring>? firings, CancellationToken cancellationToken)
    {
        foreach (var (sequence, firing) in firings ?? [])
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"monitor-{firing.Detector}-{firing.Step:D6}");
            await store.AppendEventOnceAsync(jobId, key, sequence, new JobEventObject
            {
                Id = "",
                CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                Level = "warn",
                Message = string.Create(CultureInfo.InvariantCulture, $"Step {firing.Step}: {firing.Message}"),
                Type = "message",
                Data = JsonSerializer.SerializeToElement(Data(firing)),
            }, cancellationToken);
        }
    }

    /// <summary>The event's <c>data</c> object.</summary>
    public static JsonObject Data(MonitorFiring firing)
    {
        var evidence = new JsonObject();
        foreach (var (name, value) in firing.Evidence.OrderBy(p => p.Key, StringComparer.Ordinal)) evidence[name] = double.IsFinite(value) ? value : null;
        var samples = new JsonArray();
        foreach (var s in firing.Samples.Take(SampleSummary.MaxExcerpts))
            samples.Add(new JsonObject { ["id"] = s.SampleId, ["reward"] = double.IsFinite(s.Reward) ? s.Reward : null, ["length"] = s.Length, ["excerpt"] = s.Excerpt });
        return new JsonObject
        {
            ["code"] = firing.Code,
            ["detector"] = firing.Detector,
            ["step"] = firing.Step,
            ["action"] = MonitorPolicy.NameOf(firing.Action),
            ["evidence"] = evidence,
            ["samples"] = samples,
        };
    }
}
