using System.Text.Json;
using System.Text.Json.Serialization;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Api;

/// <summary>JSON conventions of the API: snake_case names, nulls written (OpenAI's objects carry explicit nulls).</summary>
public static class ApiJson
{
    /// <summary>The serializer options of every API response.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>A JSON result in the API's conventions.</summary>
    public static IResult Ok<T>(T value, int statusCode = 200) => TypedResults.Json(value, Options, statusCode: statusCode);

    /// <summary>
    /// How request bodies are parsed: at most 64 levels deep (no OpenAI request nests deeper than about 10; a deeper
    /// body is a 400 before anything walks it), no comments or trailing commas.
    /// </summary>
    public static readonly JsonDocumentOptions BodyOptions = new() { MaxDepth = MaxBodyDepth };

    /// <summary>The deepest JSON body accepted.</summary>
    public const int MaxBodyDepth = 64;

    /// <summary>Reads a JSON object body, refusing a wrong content type, malformed or too deep JSON, a non-object or a string that is not valid text with OpenAI errors.</summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
            throw new ApiException(415, "Content-Type must be application/json.", code: "unsupported_media_type");
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, BodyOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The body is not valid JSON: {e.Message.Split(" Path:")[0]}", code: "invalid_json");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest("The body must be a JSON object.", code: "invalid_json");
            if (JsonTextCheck.FindInvalidString(document.RootElement) is { } field)
                throw ApiException.BadRequest($"Invalid '{field}': the string is not valid Unicode text (a lone UTF-16 surrogate such as \\ud800).", field, "invalid_string");
            return document.RootElement.Clone();
        }
    }

    /// <summary>A {"object":"list","data":[...],"has_more":...} page.</summary>
    public sealed record ListPage<T>(IReadOnlyList<T> Data, bool HasMore)
    {
        /// <summary>Always "list".</summary>
        public string Object => "list";

        /// <summary>The first id on the page.</summary>
        public string? FirstId { get; init; }

        /// <summary>The last id on the page.</summary>
        public string? LastId { get; init; }
    }
}
