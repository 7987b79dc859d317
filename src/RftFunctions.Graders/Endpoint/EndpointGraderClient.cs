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

    /// <summary>The longest per-attempt timeout a config may ask for.</summary>
    public TimeSpan MaxTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The longest <c>Retry-After</c> honoured on 429/503; a longer one is cut to this.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Endpoint requests in flight at once across this client (every grader, every job in the process).</summary>
    public int MaxConcurrency { get; init; } = 16;
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
/// <remarks>
/// The <paramref name="http"/> client decides where requests may go (the app gives it an egress policy and no
/// redirects); a 3xx answer is not followed here and fails the call. Header values may reference operator secrets
/// (<see cref="EndpointSecrets"/>), resolved only when a request is built.
/// </remarks>
public sealed class EndpointGraderClient(HttpClient http, EndpointRetryOptions? retry = null, EndpointSecrets? secrets = null)
{
    private readonly EndpointRetryOptions _retry = retry ?? new EndpointRetryOptions();
    private readonly EndpointSecrets _secrets = secrets ?? EndpointSecrets.None;
    private readonly ConcurrentDictionary<string, RateGate> _gates = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _inFlight = new(Math.Max(1, (retry ?? new EndpointRetryOptions()).MaxConcurrency));

    /// <summary>The secrets header values may reference.</summary>
    public EndpointSecrets Secrets => _secrets;

    /// <summary>Grades one sample; throws only <see cref="OperationCanceledException"/> on cancellation.</summary>
    public async Task<EndpointGradeOutcome> GradeAsync(EndpointGraderConfig config, JsonElement sample, JsonElement item,
        string traceId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var outcome = await GradeCoreAsync(config, sample, item, traceId, cancellationToken).ConfigureAwait(false);
        return outcome.Details is null ? outcome : outcome with { Details = _secrets.Scrub(outcome.Details) };
    }

    private async Task<EndpointGradeOutcome> GradeCoreAsync(EndpointGraderConfig config, JsonElement sample, JsonElement item,
        string traceId, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(config.Url, UriKind.Absolute, out var url))
            return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, 0, $"'{config.Url}' is not an absolute URL");
        foreach (var (name, value) in config.Headers ?? new Dictionary<string, string>())
        {
            if (_secrets.Problem(value, url.Host) is { } problem)
                return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, 0, $"header '{name}': {problem}");
        }
        var payload = BuildPayload(sample, item, traceId);
        var timeout = config.Timeout is { } t ? TimeSpan.FromSeconds(Math.Min(t, _retry.MaxTimeout.TotalSeconds)) : _retry.DefaultTimeout;
        string? lastProblem = null;
        TimeSpan? retryAfter = null;
        for (var attempt = 0; attempt <= _retry.MaxRetries; attempt++)
        {
            if (attempt > 0)
            {
                // The server's Retry-After (429/503) within the cap, else exponential backoff.
                var backoff = retryAfter is { } ra ? TimeSpan.FromTicks(Math.Min(ra.Ticks, _retry.MaxRetryAfter.Ticks)) : _retry.BaseDelay * (1 << (attempt - 1));
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            }
            retryAfter = null;
            if (config.RateLimit is { } rate)
                await _gates.GetOrAdd(config.Url, _ => new RateGate()).WaitAsync(rate, cancellationToken).ConfigureAwait(false);

            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(timeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(payload, Encoding.UTF8, "application/json"),
            };
            foreach (var (name, value) in config.Headers ?? new Dictionary<string, string>())
            {
                var resolved = _secrets.Resolve(value);
                if (!request.Headers.TryAddWithoutValidation(name, resolved)) request.Content.Headers.TryAddWithoutValidation(name, resolved);
            }
            await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var response = await http.SendAsync(request, attemptCts.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(attemptCts.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode) return ParseScore(body, attempt + 1);
                if (status is >= 300 and < 400)
                    return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, attempt + 1,
                        $"{config.Url} answered a redirect ({status}); endpoint graders do not follow redirects");
                lastProblem = $"HTTP {status}: {Truncate(body)}";
                if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                {
                    retryAfter = RetryAfter(response);
                    continue;
                }
                return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, attempt + 1, $"{config.Url} answered {lastProblem}");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastProblem = $"no answer within {timeout.TotalSeconds:0.###} s";
            }
            catch (HttpRequestException e) when (e.InnerException is EgressRefusedException refused)
            {
                // Policy, not weather: retrying cannot help.
                return new EndpointGradeOutcome(EndpointGradeStatus.Failed, 0, attempt + 1, refused.Message);
            }
            catch (HttpRequestException e)
            {
                lastProblem = $"transport error: {e.Message}";
            }
            finally
            {
                _inFlight.Release();
            }
        }
        return new EndpointGradeOutcome(EndpointGradeStatus.Unresponsive, 0, _retry.MaxRetries + 1,
            $"{config.Url} failed {_retry.MaxRetries + 1} attempts; last: {lastProblem}");
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } header) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
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
