using System.Text.Json.Serialization;

namespace RftFunctions.Functions.Api;

/// <summary>The body of OpenAI's error envelope.</summary>
/// <param name="Message">What went wrong, naming the field.</param>
/// <param name="Type">invalid_request_error, authentication_error, not_found_error, server_error.</param>
/// <param name="Param">The offending parameter, or null.</param>
/// <param name="Code">A machine-readable code, or null.</param>
public sealed record OpenAiError(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("param")] string? Param,
    [property: JsonPropertyName("code")] string? Code);

/// <summary><c>{"error": {...}}</c>.</summary>
public sealed record OpenAiErrorEnvelope([property: JsonPropertyName("error")] OpenAiError Error);

/// <summary>A request the API refuses; the endpoint filter turns it into OpenAI's error envelope with <see cref="StatusCode"/>.</summary>
public sealed class ApiException(int statusCode, string message, string? param = null, string? code = null, string type = "invalid_request_error")
    : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The error body.</summary>
    public OpenAiError Error { get; } = new(message, type, param, code);

    /// <summary>400 naming the parameter.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);

    /// <summary>404 for an id this project cannot see (it may exist in another project: the answer is the same).</summary>
    public static ApiException NotFound(string what, string id, string param = "id") =>
        new(404, $"No such {what}: '{id}'.", param, $"{what}_not_found", "invalid_request_error");
}
