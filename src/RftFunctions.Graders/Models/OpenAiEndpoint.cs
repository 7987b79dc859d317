using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace RftFunctions.Graders.Models;

/// <summary>
/// Where an OpenAI-compatible API lives: base URL (e.g. <c>https://api.openai.com/v1</c>, an Azure OpenAI resource's
/// <c>https://NAME.openai.azure.com/openai/v1/</c>, a vLLM server's <c>http://host:8000/v1</c>), key and model.
/// </summary>
/// <param name="BaseUrl">Base URL; the client appends <c>/chat/completions</c> or <c>/embeddings</c>.</param>
/// <param name="ApiKey">Bearer key; null for servers without authentication.</param>
/// <param name="Model">Model id to send instead of the grader's (a deployment name), or null to send the grader's own.</param>
/// <param name="Timeout">How long one request may take (default 120 s).</param>
/// <param name="MaxRetries">Retries of the client's own policy on 408/429/5xx and transport errors (honours Retry-After).</param>
public sealed record OpenAiEndpoint(Uri BaseUrl, string? ApiKey = null, string? Model = null, TimeSpan? Timeout = null, int MaxRetries = 2)
{
    /// <summary>The official client's options for this endpoint (an explicit transport for tests and custom handlers).</summary>
    internal OpenAIClientOptions ClientOptions(HttpClient? http) => new()
    {
        Endpoint = BaseUrl,
        NetworkTimeout = Timeout ?? TimeSpan.FromSeconds(120),
        RetryPolicy = new ClientRetryPolicy(MaxRetries),
        Transport = http is null ? null : new HttpClientPipelineTransport(http),
    };

    /// <summary>The key credential; servers without authentication get a placeholder they ignore.</summary>
    internal ApiKeyCredential Credential => new(string.IsNullOrEmpty(ApiKey) ? "no-key" : ApiKey);
}

/// <summary>An OpenAI-compatible endpoint answered with an error or an unreadable body.</summary>
public sealed class ModelEndpointException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status, when there was one.</summary>
    public int? StatusCode { get; } = statusCode;
}
