using System.Net.Http.Headers;
using System.Text.Json;

namespace RftFunctions.Functions.Cli;

/// <summary>
/// <c>rft doctor --host URL</c>: a running host's own view of itself, its <c>/healthz</c> report (each storage service
/// and each long-running loop: the engine, the triggers' scans, the reconciler), read with the admin key in
/// <c>RFT_ADMIN_KEY</c>. A host that does not answer, or answers unhealthy, fails the doctor, so a wedged process is found
/// from outside as the platform's probe finds it (issue 22). Without the key only healthy/unhealthy is known.
/// </summary>
public static class HostHealthCheck
{
    /// <summary>The environment variable holding the admin key.</summary>
    public const string AdminKeyVariable = "RFT_ADMIN_KEY";

    /// <summary>The outcome: the host's status, its report (null without a key or an answer), or why it could not be read.</summary>
    public sealed record Result(bool Ok, string Url, int? HttpStatus, JsonElement? Report, string? Error);

    public static async Task<Result> RunAsync(string url, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
            return new Result(false, url, null, null, "--host must be an http(s) URL");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUri, "/healthz"));
        if (Environment.GetEnvironmentVariable(AdminKeyVariable) is { Length: > 0 } key)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonElement? report = null;
            try
            {
                using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
                report = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                // not our health endpoint: reported as an error below
            }
            bool ok = response.IsSuccessStatusCode && report is { } r && r.TryGetProperty("status", out var s) && s.GetString() == "healthy";
            return new Result(ok, url, (int)response.StatusCode, report, ok ? null : report is null ? "the host's /healthz did not answer JSON" : "the host reports itself unhealthy");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new Result(false, url, null, null, "the host did not answer: " + e.Message);
        }
    }
}
