using System.Text.Json;

namespace RftFunctions.Functions.Cli;

/// <summary>
/// <c>rft jobs watch</c>: polls a job and its events, printing each new event once (metrics events as a progress line)
/// and each status change, until the job is succeeded, failed or cancelled.
/// </summary>
public static class JobWatcher
{
    /// <summary>Statuses a job never leaves.</summary>
    public static readonly IReadOnlySet<string> Terminal = new HashSet<string>(StringComparer.Ordinal) { "succeeded", "failed", "cancelled" };

    /// <summary>Watches until the job ends; 0 when it succeeded, 1 otherwise.</summary>
    public static async Task<int> WatchAsync(ApiClient client, string jobId, TimeSpan interval, TextWriter output, CancellationToken cancellationToken)
    {
        var path = $"v1/fine_tuning/jobs/{Uri.EscapeDataString(jobId)}";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? status = null;
        while (true)
        {
            var job = await client.GetAsync(path, cancellationToken);
            // Events before the status, so the last lines printed for a finished job are its final events and status.
            var events = await client.GetAsync(path + "/events?limit=100", cancellationToken);
            foreach (var e in Chronological(events))
            {
                if (e.TryGetProperty("id", out var id) && id.GetString() is { } eventId && !seen.Add(eventId)) continue;
                await output.WriteLineAsync(Line(e));
            }
            var current = job.TryGetProperty("status", out var s) ? s.GetString() ?? "unknown" : "unknown";
            if (current != status)
            {
                status = current;
                var model = job.TryGetProperty("fine_tuned_model", out var m) && m.ValueKind == JsonValueKind.String ? $" fine_tuned_model={m.GetString()}" : "";
                var error = job.TryGetProperty("error", out var err) && err.ValueKind == JsonValueKind.Object && err.TryGetProperty("message", out var msg) && msg.ValueKind == JsonValueKind.String
                    ? $" error={msg.GetString()}" : "";
                await output.WriteLineAsync($"{jobId} status={status}{model}{error}");
            }
            if (Terminal.Contains(status)) return status == "succeeded" ? 0 : 1;
            await Task.Delay(interval, cancellationToken);
        }
    }

    /// <summary>One line for an event: metrics as step/total and rewards, others as their message.</summary>
    public static string Line(JsonElement e)
    {
        var time = e.TryGetProperty("created_at", out var c) && c.TryGetInt64(out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) : "--:--:--";
        var level = e.TryGetProperty("level", out var l) ? l.GetString() ?? "info" : "info";
        if (e.TryGetProperty("type", out var t) && t.GetString() == "metrics" && e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            var parts = new List<string>();
            if (data.TryGetProperty("step", out var step))
                parts.Add(data.TryGetProperty("total_steps", out var total) ? $"step {step}/{total}" : $"step {step}");
            if (data.TryGetProperty("scores", out var scores) && scores.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in new[] { "train_reward_mean", "valid_reward_mean" })
                    if (scores.TryGetProperty(name, out var value) && value.TryGetDouble(out var number))
                        parts.Add($"{name}={JobsCommand.Format(number)}");
            }
            if (parts.Count > 0) return $"{time} {level} {string.Join("  ", parts)}";
        }
        return $"{time} {level} {(e.TryGetProperty("message", out var m) ? m.GetString() : "")}";
    }

    /// <summary>The page's events oldest first (OpenAI lists them newest first).</summary>
    private static IEnumerable<JsonElement> Chronological(JsonElement page)
    {
        if (!page.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array) return [];
        var events = data.EnumerateArray().ToList();
        static long Created(JsonElement e) => e.TryGetProperty("created_at", out var c) && c.TryGetInt64(out var v) ? v : 0;
        if (events.Count > 1 && Created(events[0]) >= Created(events[^1])) events.Reverse();
        return events;
    }
}
