namespace RftFunctions.Graders.Models;

/// <summary>Where an OpenAI-compatible API lives: base URL (e.g. <c>https://api.openai.com/v1</c>), key and model.</summary>
/// <param name="BaseUrl">Base URL; <c>/chat/completions</c> or <c>/embeddings</c> is appended.</param>
/// <param name="ApiKey">Bearer key; null sends no Authorization header.</param>
/// <param name="Model">Model id to send instead of the grader's, or null to send the grader's own.</param>
public sealed record OpenAiEndpoint(Uri BaseUrl, string? ApiKey = null, string? Model = null)
{
    /// <summary>Joins the base URL and a relative path, keeping the base's own path.</summary>
    internal Uri Resolve(string relative) => new(BaseUrl.AbsoluteUri.TrimEnd('/') + "/" + relative.TrimStart('/'));
}

/// <summary>An OpenAI-compatible endpoint answered with an error or an unreadable body.</summary>
public sealed class ModelEndpointException(string message, int? statusCode = null) : Exception(message)
{
    /// <summary>The HTTP status, when there was one.</summary>
    public int? StatusCode { get; } = statusCode;
}
