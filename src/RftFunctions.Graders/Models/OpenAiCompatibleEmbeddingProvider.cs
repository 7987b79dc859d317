using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Graders.Models;

/// <summary><see cref="IEmbeddingProvider"/> for an OpenAI-compatible <c>POST {base}/embeddings</c>.</summary>
/// <param name="http">The HTTP client.</param>
/// <param name="endpoint">Base URL, key and the embedding model (required here: graders do not name one).</param>
public sealed class OpenAiCompatibleEmbeddingProvider(HttpClient http, OpenAiEndpoint endpoint) : IEmbeddingProvider
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = endpoint.Model ?? throw new InvalidOperationException("the embeddings endpoint needs a model id"),
            ["input"] = new JsonArray([.. texts.Select(t => (JsonNode)JsonValue.Create(t))]),
        };
        using var doc = await HttpRetry.PostJsonAsync(http, endpoint.Resolve("embeddings"), endpoint.ApiKey, body.ToJsonString(), cancellationToken)
            .ConfigureAwait(false);
        if (!doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new ModelEndpointException("embeddings response has no data array");
        var result = new float[texts.Count][];
        foreach (var entry in data.EnumerateArray())
        {
            var index = entry.TryGetProperty("index", out var i) ? i.GetInt32() : Array.IndexOf(result, null);
            if (index < 0 || index >= result.Length) throw new ModelEndpointException($"embedding index {index} out of range");
            result[index] = [.. entry.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
        }
        if (result.Any(r => r is null)) throw new ModelEndpointException("embeddings response is missing vectors");
        return result;
    }
}
