using System.Diagnostics;
using System.Text.Json;

namespace RftFunctions.Demo;

/// <summary>What a finished job reported: its model, steps and curves, read from its metrics events.</summary>
/// <param name="FineTunedModel">The <c>ft:</c> model id.</param>
/// <param name="TotalSteps">Steps the job ran.</param>
/// <param name="Curves">Rewards (overall and per grader) and completion lengths per step.</param>
public sealed record DemoJobOutcome(string FineTunedModel, int TotalSteps, JobCurves Curves);

/// <summary>
/// Follows a job through the API as the dashboard does (job object and its events), drawing the progress bar from
/// its metrics events: step/total, train reward, last valid reward and an ETA from the pace so far.
/// </summary>
public static class DemoJobWatch
{
    /// <summary>Polls until the job ends; returns its outcome, or throws with the job's error when it did not succeed.</summary>
    public static async Task<DemoJobOutcome> WatchAsync(DemoPlatform platform, string jobId, DemoProgress progress, CancellationToken ct)
    {
        var path = $"v1/fine_tuning/jobs/{jobId}";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var train = new SortedDictionary<int, double>();
        var valid = new SortedDictionary<int, double>();
        string? status = null;
        Stopwatch? running = null;
        int lastDrawn = 0;
        while (true)
        {
            platform.EnsureRunning();
            // Events before the job, so a job seen finished has all its metrics events read.
            var events = await DemoUserSteps.GetAsync(platform, path + "/events?limit=100", ct);
            var job = await DemoUserSteps.GetAsync(platform, path, ct);
            int total = job.GetProperty("total_steps").GetInt32();
            foreach (var e in events.GetProperty("data").EnumerateArray().Reverse())
            {
                if (!seen.Add(e.GetProperty("id").GetString()!)) continue;
                if (e.GetProperty("type").GetString() == "metrics") Record(e.GetProperty("data"), train, valid);
            }
            var current = job.GetProperty("status").GetString()!;
            if (current != status)
            {
                status = current;
                if (status == "running") running ??= Stopwatch.StartNew();
                if (status is not ("running" or "succeeded")) progress.Line($"job {jobId}: {status}");
            }
            // Every step once, in order, even when two finished between polls (logs keep one line per step).
            foreach (var step in train.Keys.Where(k => k > lastDrawn && total > 0).ToList())
            {
                lastDrawn = step;
                double perStep = (running?.Elapsed.TotalSeconds ?? 0) / train.Keys.Max();
                var eta = TimeSpan.FromSeconds(perStep * Math.Max(0, total - step));
                var validSoFar = valid.Where(v => v.Key <= step).ToList();
                var validText = validSoFar.Count > 0 ? validSoFar[^1].Value.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) : "-";
                progress.Bar("rft", step, total, $"train reward {train[step]:F3}  valid reward {validText}  ETA {eta:mm\\:ss}");
            }
            switch (status)
            {
                case "succeeded":
                    var all = await AllMetricsAsync(platform, path, ct);
                    return new DemoJobOutcome(job.GetProperty("fine_tuned_model").GetString()!, total, JobCurves.FromMetrics(all));
                case "failed" or "cancelled":
                    var error = job.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.Object ? err.GetProperty("message").GetString() : "no error given";
                    throw new InvalidOperationException($"job {jobId} {status}: {error} (host log: {platform.LogPath})");
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    private static void Record(JsonElement data, SortedDictionary<int, double> train, SortedDictionary<int, double> valid)
    {
        int step = data.GetProperty("step").GetInt32();
        var scores = data.GetProperty("scores");
        train[step] = scores.GetProperty("train_reward_mean").GetDouble();
        if (scores.TryGetProperty("valid_reward_mean", out var v) && v.ValueKind == JsonValueKind.Number) valid[step] = v.GetDouble();
    }

    // Every metrics event of the job, through the after cursor (the progress polls only read the newest page).
    private static async Task<List<JsonElement>> AllMetricsAsync(DemoPlatform platform, string path, CancellationToken ct)
    {
        var metrics = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            var page = await DemoUserSteps.GetAsync(platform, path + "/events?limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)), ct);
            var data = page.GetProperty("data").EnumerateArray().ToList();
            metrics.AddRange(data.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data")));
            if (!page.GetProperty("has_more").GetBoolean() || data.Count == 0) return metrics;
            after = data[^1].GetProperty("id").GetString();
        }
    }
}
