using System.Text.Json;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Api.Chat;

namespace RftFunctions.Functions.Api.Models;

/// <summary><c>/v1/models</c>: list, retrieve, register a base model from a server-local folder, delete a fine-tuned model.</summary>
public static class ModelsApi
{
    /// <summary>Maps the endpoints under <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapModelsApi(this RouteGroupBuilder v1)
    {
        var models = v1.MapGroup("/models").WithTags("Models");
        models.MapGet("/", ListAsync);
        models.MapPost("/", RegisterAsync);
        models.MapGet("/{**modelId}", RetrieveAsync);
        models.MapDelete("/{**modelId}", DeleteAsync);
        return v1;
    }

    private static async Task<IResult> ListAsync(HttpContext context, ModelRegistry registry, CancellationToken cancellationToken) =>
        ApiJson.Ok(new ApiJson.ListPage<ModelObject>(await registry.ListAsync(ApiProject.Of(context), cancellationToken), false));

    private static async Task<IResult> RetrieveAsync(HttpContext context, string modelId, ModelRegistry registry, CancellationToken cancellationToken) =>
        ApiJson.Ok((await registry.GetAsync(ApiProject.Of(context), modelId, cancellationToken))?.Model ?? throw ApiException.NotFound("model", modelId, "model"));

    /// <summary>Our addition: <c>{"id": NAME, "path": FOLDER}</c> registers a base model from a folder the server can read
    /// (uploaded into the models container); <c>{"id": NAME, "blob": "container/prefix"}</c> registers one already in
    /// Blob Storage, by reference.</summary>
    private static async Task<IResult> RegisterAsync(HttpContext context, ModelRegistry registry, CancellationToken cancellationToken)
    {
        var body = await ApiJson.ReadObjectAsync(context.Request, cancellationToken);
        string Text(string name) =>
            body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0 ? v.GetString()!
                : throw ApiException.BadRequest($"Missing required string parameter: '{name}'.", name, "missing_required_parameter");
        var id = ModelRegistry.ValidateId(Text("id"));
        if (id.StartsWith("ft:", StringComparison.Ordinal))
            throw ApiException.BadRequest("'ft:' ids are reserved for fine-tuned models.", "id", "invalid_value");
        bool hasBlob = body.TryGetProperty("blob", out var blob) && blob.ValueKind != JsonValueKind.Null;
        bool hasPath = body.TryGetProperty("path", out var path) && path.ValueKind != JsonValueKind.Null;
        if (hasBlob == hasPath)
            throw ApiException.BadRequest("Give exactly one of 'path' (a folder the server can read) or 'blob' ('container/prefix').", hasBlob ? "blob" : "path", "missing_required_parameter");
        return hasBlob
            ? ApiJson.Ok(await registry.RegisterBlobAsync(ApiProject.Of(context), id, Text("blob"), cancellationToken))
            : ApiJson.Ok(await registry.RegisterFolderAsync(ApiProject.Of(context), id, Text("path"), cancellationToken));
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string modelId, ModelRegistry registry, ModelCache cache, CancellationToken cancellationToken)
    {
        var project = ApiProject.Of(context);
        if (await registry.GetAsync(project, modelId, cancellationToken) is null) throw ApiException.NotFound("model", modelId, "model");
        if (!modelId.StartsWith("ft:", StringComparison.Ordinal))
            throw new ApiException(403, $"Only fine-tuned ('ft:') models can be deleted; '{modelId}' is a base model.", "model", "model_not_deletable");
        cache.Evict(project, modelId);
        await registry.DeleteAsync(project, modelId, cancellationToken);
        return ApiJson.Ok(new { id = modelId, @object = "model", deleted = true });
    }
}
