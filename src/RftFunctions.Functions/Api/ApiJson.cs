using System.Text.Json;
using System.Text.Json.Serialization;

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

    /// <summary>Reads a JSON object body, refusing a wrong content type, malformed JSON or a non-object with OpenAI errors.</summary>
    public static async Task<JsonElement> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
            throw new ApiException(415, "Content-Type must be application/json.", code: "unsupported_media_type");
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The body is not valid JSON: {e.Message.Split(" Path:")[0]}", code: "invalid_json");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw ApiException.BadRequest("The body must be a JSON object.", code: "invalid_json");
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
