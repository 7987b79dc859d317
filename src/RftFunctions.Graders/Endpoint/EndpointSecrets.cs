using System.Text.RegularExpressions;

namespace RftFunctions.Graders.Endpoint;

/// <summary>One operator secret that endpoint grader headers may reference.</summary>
/// <param name="Value">The secret itself.</param>
/// <param name="Hosts">Host names it may be sent to (exact, or <c>*.suffix</c>); empty = any host the egress policy allows.</param>
public sealed record EndpointSecret(string Value, IReadOnlyList<string> Hosts);

/// <summary>
/// Operator secrets for endpoint grader headers: a header value may hold <c>{{ secrets.NAME }}</c>, which is replaced
/// by the secret only when the request is sent, so the secret never appears in the grader config, the job object,
/// its events or error details (details are scrubbed of every secret value too, in case an endpoint echoes one).
/// </summary>
public sealed partial class EndpointSecrets(IReadOnlyDictionary<string, EndpointSecret> secrets)
{
    /// <summary>No secrets configured.</summary>
    public static EndpointSecrets None { get; } = new(new Dictionary<string, EndpointSecret>());

    /// <summary>The secret names a header value references.</summary>
    public static IEnumerable<string> References(string headerValue) =>
        Reference().Matches(headerValue).Select(m => m.Groups[1].Value);

    /// <summary>Why a header value cannot be sent to <paramref name="host"/>, or null when every reference resolves there.</summary>
    public string? Problem(string headerValue, string host)
    {
        foreach (var name in References(headerValue))
        {
            if (!secrets.TryGetValue(name, out var secret)) return $"secret '{name}' is not configured on this deployment";
            if (secret.Hosts.Count > 0 && !secret.Hosts.Any(h => HostMatches(h, host)))
                return $"secret '{name}' may not be sent to '{host}'";
        }
        return null;
    }

    /// <summary>The header value with its references replaced (call only after <see cref="Problem"/> returned null).</summary>
    public string Resolve(string headerValue) =>
        Reference().Replace(headerValue, m => secrets.TryGetValue(m.Groups[1].Value, out var s) ? s.Value : "");

    /// <summary>Removes every secret value from a text that may be shown to users.</summary>
    public string Scrub(string text)
    {
        foreach (var secret in secrets.Values)
            if (secret.Value.Length > 0) text = text.Replace(secret.Value, "[secret]", StringComparison.Ordinal);
        return text;
    }

    /// <summary>Exact host, or <c>*.example.com</c> for its subdomains; case-insensitive.</summary>
    public static bool HostMatches(string pattern, string host) =>
        pattern.StartsWith("*.", StringComparison.Ordinal)
            ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex(@"\{\{\s*secrets\.([A-Za-z0-9_\-]+)\s*\}\}")]
    private static partial Regex Reference();
}
