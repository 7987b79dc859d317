using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using RftFunctions.Graders.Config;

namespace RftFunctions.Graders.Endpoint;

/// <summary>Retry settings of the endpoint grader.</summary>
public sealed record EndpointRetryOptions
{
    /// <summary>Retries after the first attempt (OpenAI/Azure: 3).</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Backoff before retry k (0-based) is <c>BaseDelay * 2^k</c>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Per-attempt timeout when the config has none.</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>How an endpoint call ended.</summary>
public enum EndpointGradeStatus
{
    /// <summary>The endpoint answered a finite score.</summary>
    Ok,

    /// <summary>Every attempt timed out or failed with 5xx / a transport error.</summary>
    Unresponsive,

    /// <summary>A 4xx answer (not retried) or an answer without a numeric <c>score</c>.</summary>
    Failed,
}

/// <summary>The outcome of one endpoint call.</summary>
public sealed record EndpointGradeOutcome(EndpointGradeStatus Status, double Score, int Attempts, string? Details = null);

/// <summary>
/// Calls endpoint graders: POST <c>{"sample", "item", "trace_id"}</c>, expects <c>{"score": number}</c>. Adds the
/// config's headers, holds each URL to its <c>rate_limit</c> (requests per second, process-wide), applies the timeout
/// per attempt, and retries 5xx, 408, 429, transport errors and timeouts up to 3 times with exponential backoff; other
/// 4xx answers are not retried.
/// </summary>
public sealed class EndpointGraderClient(HttpClient http, EndpointRetryOptions? retry = null)
{
    private readonly EndpointRetryOptions _retry = retry ?? new EndpointRetryOptions();
    private readonly ConcurrentDictionary<string, RateGate> _gates = new(StringComparer.Ordinal);

    /// <summary>Grades one sample; throws only <see cref="OperationCanceledException"/> on cancellation.</summary>
    public async Task<EndpointGradeOutcome> GradeAsync(EndpointGraderConfig config, JsonElement sample, JsonElement item,
        string traceId, CancellationToken cancellationToken)
    {
        var payload = BuildPayload(sample, item, traceId);
        var timeout = config.Timeout is { } t ? TimeSpan.FromSeconds(t) : _retry.DefaultTimeout;
        string? lastProblem = null;
        for (var attempt = 0; attempt <= _retry.MaxRetries; attempt++)
        {
            if (attempt > 0) await Task.Delay(_retry.BaseDelay * (1 << (attempt - 1)), cancellationToken).ConfigureAwait(false);
            if (config.RateLimit is { } rate)
                await _gates.GetOrAdd(config.Url, _ => new RateGate()).WaitAsync(rate, cancellationToken).ConfigureAwait(false);

            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(timeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, config.Url)
            {
                Content = new StringContent(payload, Encoding.UTF8, "application/json"),
            };
            if (config.Headers is { } headers)
                foreach (var (name, value) in headers)
                    if (!request.Headers.TryAddWithoutValidation(name, value)) request.Content.Headers.TryAddWithoutValidation(name, value);
            try
            {
                using var response = await http.SendAsync(request, attemptCts.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(attemptCts.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode) return ParseScore(body, attempt + 1);
                lastProblem = $"HTTP {status}: {Truncate(body)}";
                if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests) continue;
                return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, attempt + 1, $"{config.Url} answered {lastProblem}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastProblem = $"no answer within {timeout.TotalSeconds:0.###} s";
            }
            catch (HttpRequestException e)
            {
                lastProblem = $"transport error: {e.Message}";
            }
        }
        return new EndpointGradeOutcome(EndpointGradeStatus.Unresponsive, 0, _retry.MaxRetries + 1,
            $"{config.Url} failed {_retry.MaxRetries + 1} attempts; last: {lastProblem}");
    }

    private static EndpointGradeOutcome ParseScore(string body, int attempts)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("score", out var s) &&
                s.ValueKind == JsonValueKind.Number && double.IsFinite(s.GetDouble()))
                return new EndpointGradeOutcome(EndpointGradeStatus.Ok, s.GetDouble(), attempts);
        }
        catch (JsonException)
        {
            // Reported below.
        }
        return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, attempts, $"answer is not {{\"score\": number}}: {Truncate(body)}");
    }

    private static string BuildPayload(JsonElement sample, JsonElement item, string traceId)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("sample");
            sample.WriteTo(w);
            w.WritePropertyName("item");
            if (item.ValueKind == JsonValueKind.Undefined) w.WriteNullValue();
            else item.WriteTo(w);
            w.WriteString("trace_id", traceId);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "...";
}

/// <summary>Spaces requests to one URL at least 1/rate seconds apart (a reservation schedule, no bursts).</summary>
internal sealed class RateGate
{
    private readonly Lock _lock = new();
    private long _nextTicks = long.MinValue;

    /// <summary>Reserves the next slot at or after <paramref name="nowTicks"/>; returns how long to wait for it.</summary>
    public TimeSpan Reserve(double perSecond, long nowTicks, long ticksPerSecond)
    {
        var interval = (long)(ticksPerSecond / perSecond);
        long wait;
        lock (_lock)
        {
            var slot = Math.Max(nowTicks, _nextTicks);
            _nextTicks = slot + interval;
            wait = slot - nowTicks;
        }
        return TimeSpan.FromSeconds((double)wait / ticksPerSecond);
    }

    /// <summary>Waits for the next slot.</summary>
    public Task WaitAsync(double perSecond, CancellationToken ct)
    {
        var wait = Reserve(perSecond, Stopwatch.GetTimestamp(), Stopwatch.Frequency);
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, ct);
    }
}
