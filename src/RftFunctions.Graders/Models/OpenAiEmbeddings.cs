using System.ClientModel;
using OpenAI.Embeddings;

namespace RftFunctions.Graders.Models;

/// <summary><see cref="IEmbeddingProvider"/> for an OpenAI-compatible embeddings endpoint, through the official OpenAI .NET client.</summary>
/// <param name="endpoint">Base URL, key and the embedding model (required here: graders do not name one).</param>
/// <param name="http">An HttpClient to send through; null uses the client's default transport.</param>
public sealed class OpenAiEmbeddings(OpenAiEndpoint endpoint, HttpClient? http = null) : IEmbeddingProvider
{
    private readonly EmbeddingClient _client = new(
        endpoint.Model ?? throw new ArgumentException("the embeddings endpoint needs a model id", nameof(endpoint)),
        endpoint.Credential, endpoint.ClientOptions(http));

    /// <inheritdoc />
    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        OpenAIEmbeddingCollection collection;
        try
        {
            collection = (await _client.GenerateEmbeddingsAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (ClientResultException e)
        {
            throw new ModelEndpointException($"the embeddings endpoint answered {e.Status}: {e.Message}", e.Status, e);
        }
        var result = new float[texts.Count][];
        foreach (var embedding in collection)
        {
            if (embedding.Index < 0 || embedding.Index >= result.Length) throw new ModelEndpointException($"embedding index {embedding.Index} out of range");
            result[embedding.Index] = embedding.ToFloats().ToArray();
        }
        if (result.Any(r => r is null)) throw new ModelEndpointException("the embeddings answer is missing vectors");
        return result;
    }
}
