using System.Text.Json;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Api.Chat;

namespace RftFunctions.Functions.Api.Models;

/// <summary><c>/v1/models</c>: list, retrieve, register a base model (from the project's own blobs or the operator's import root), delete a fine-tuned model.</summary>
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

    /// <summary>
    /// Our addition: <c>{"id": NAME, "blob": "container/prefix"}</c> registers a Hugging Face folder already in Blob
    /// Storage, by reference, when the caller's project owns it (<see cref="ModelBlobOwnership"/>);
    /// <c>{"id": NAME, "path": FOLDER}</c> uploads one from under the operator's <c>Rft:ModelImportRoot</c> (unset: refused).
    /// Every folder the caller may not register, or that does not exist, gets the same answer, so nothing is learned about
    /// other projects or the server's folders. Anything else is the operator's, with <c>rft models register</c>.
    /// </summary>
    private static async Task<IResult> RegisterAsync(HttpContext context, ModelRegistry registry, ModelBlobOwnership ownership, ApiOptions options, CancellationToken cancellationToken)
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
            throw ApiException.BadRequest("Give exactly one of 'path' (a folder under the server's model import root) or 'blob' ('container/prefix').", hasBlob ? "blob" : "path", "missing_required_parameter");
        var project = ApiProject.Of(context);
        if (hasPath)
        {
            if (string.IsNullOrWhiteSpace(options.ModelImportRoot))
                throw new ApiException(403, "Registering models from server folders is disabled on this deployment; register a folder in Blob Storage with 'blob'.", "path", "model_import_disabled");
            return ApiJson.Ok(await registry.RegisterImportAsync(project, id, options.ModelImportRoot, Text("path"), cancellationToken));
        }
        var reference = Text("blob");
        var refused = ApiException.BadRequest(
            $"No model folder this project can register at that blob: give 'container/prefix' of a Hugging Face folder (config.json, tokenizer.json, *.safetensors) in this project's folder of the '{options.ModelsContainer}' container ('{options.ModelsContainer}/{project}/...') or of one of its jobs.",
            "blob", "model_folder_not_found");
        if (ModelRegistry.ParseBlob(reference) is not { } parsed || !await ownership.OwnsAsync(project, parsed.Container, parsed.Prefix, cancellationToken))
            throw refused;
        try
        {
            return ApiJson.Ok(await registry.RegisterBlobAsync(project, id, reference, cancellationToken));
        }
        catch (ApiException e) when (e.Error.Param == "blob")
        {
            // A missing folder of the caller's own reads exactly like another project's.
            throw refused;
        }
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
