using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RftFunctions.Functions.Hosting;

namespace RftFunctions.Functions.Cli;

/// <summary>A failure the CLI reports on one line and exits 1 for (the API refused, the host is unreachable, a file is missing).</summary>
public sealed class CliFailureException(string message) : Exception(message);

/// <summary>
/// The HTTP client of the API-facing verbs. The base URL comes from <c>--url</c>, <c>RFT_URL</c> or
/// <c>OPENAI_BASE_URL</c> (a trailing <c>/v1</c> is accepted, as the OpenAI SDKs use it), default
/// <c>http://127.0.0.1:7071</c>; the key from <c>--key</c>, <c>OPENAI_API_KEY</c>, or the development key in the local
/// settings, so <c>rft serve</c> plus <c>rft files list</c> works on a laptop without exporting anything.
/// </summary>
public sealed class ApiClient : IDisposable
{
    /// <summary>The options every API-facing verb accepts.</summary>
    public static readonly string[] ConnectionOptions = ["url", "key"];

    /// <summary>Where the host listens when nothing says otherwise (the Functions tooling's port).</summary>
    public const string DefaultUrl = "http://127.0.0.1:7071";

    private readonly HttpClient _http;

    private ApiClient(Uri baseAddress, string? key)
    {
        // Jobs can take a while to create (files are checked); no request of the CLI should hang forever either.
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) };
        if (!string.IsNullOrEmpty(key)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>The host's base address (without <c>/v1</c>).</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>A client configured from the verb's <c>--url</c>/<c>--key</c> and the environment.</summary>
    public static ApiClient Create(CliArgs args)
    {
        var text = FirstSet(args.Option("url"), Environment.GetEnvironmentVariable("RFT_URL"), Environment.GetEnvironmentVariable("OPENAI_BASE_URL")) ?? DefaultUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"--url must be an absolute http(s) URL, got '{text}'");
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/v1", StringComparison.Ordinal)) path = path[..^3];
        var baseAddress = new UriBuilder(uri) { Path = path + "/" }.Uri;
        var key = FirstSet(args.Option("key"), Environment.GetEnvironmentVariable("OPENAI_API_KEY")) ?? DevelopmentKey();
        return new ApiClient(baseAddress, key);
    }

    /// <summary>Sends a request and returns the JSON answer; an error answer becomes a <see cref="CliFailureException"/>.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(method, path, content, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new CliFailureException($"{method} /{path} answered {(int)response.StatusCode} with a body that is not JSON: {Shorten(body)}");
        }
    }

    /// <summary>GET <paramref name="path"/> (relative to the base address, e.g. <c>v1/files</c>).</summary>
    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    /// <summary>POST a JSON body.</summary>
    public Task<JsonElement> PostJsonAsync(string path, object body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, path, Json(body), cancellationToken);

    /// <summary>A JSON request body.</summary>
    public static StringContent Json(object body) =>
        new(body is JsonElement element ? element.GetRawText() : JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>Sends a request; a connection failure or an error status becomes a <see cref="CliFailureException"/>.</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, HttpContent? content, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliFailureException($"cannot reach the RftFunctions host at {BaseAddress} ({e.Message}); start it with 'rft serve' or pass --url / set RFT_URL");
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new CliFailureException($"{method} /{path} failed with {(int)response.StatusCode}: {Describe(body)}");
        }
    }

    /// <summary>Prints a JSON value indented (the API's own field order), so it reads well and pipes into jq.</summary>
    public static void Print(JsonElement value) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    /// <summary>The error envelope's message, param and code, or the raw body when it is not one.</summary>
    private static string Describe(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                string? Field(string name) => error.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var details = new[] { Field("param") is { } p ? $"param {p}" : null, Field("code") is { } c ? $"code {c}" : null }.OfType<string>().ToList();
                return Field("message") + (details.Count > 0 ? $" ({string.Join(", ", details)})" : "");
            }
        }
        catch (JsonException)
        {
            // Not JSON: a proxy or a host that is not ours answered; show what it said.
        }
        return Shorten(body);
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    /// <summary>The development key from local.settings.json / <c>Rft__DevelopmentApiKey</c>, as the local host reads it.</summary>
    private static string? DevelopmentKey()
    {
        var configuration = new ConfigurationManager();
        FunctionsConfiguration.Apply(configuration, ContentRoot.Find(), []);
        return configuration[$"{RftHostOptions.Section}:DevelopmentApiKey"] is { Length: > 0 } key ? key : null;
    }

    public void Dispose() => _http.Dispose();
}
