using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Api.Models;

/// <summary>OpenAI's model object.</summary>
/// <param name="Id">The model id (a base name, or <c>ft:...</c> for a fine-tuned model).</param>
/// <param name="Created">Unix seconds.</param>
/// <param name="OwnedBy">The owning project.</param>
public sealed record ModelObject(string Id, long Created, string OwnedBy)
{
    /// <summary>Always "model".</summary>
    public string Object => "model";
}

/// <summary>Where a registered model's Hugging Face folder lives.</summary>
/// <param name="Model">The model object.</param>
/// <param name="Container">Blob container.</param>
/// <param name="Prefix">Blob name prefix of the folder (ends with '/').</param>
/// <param name="Bytes">Total size of its files.</param>
public sealed record RegisteredModel(ModelObject Model, string Container, string Prefix, long Bytes);

/// <summary>
/// Registered models per project in the <c>Models</c> table (partition = project, row = escaped id); their files are
/// Hugging Face folders in Blob Storage. Base models are uploaded into the <c>models</c> container; fine-tuned models
/// and checkpoints are registered where training wrote them (<see cref="RegisterStoredAsync"/>).
/// </summary>
public sealed partial class ModelRegistry(StorageAccount storage, ApiOptions options)
{
    private static readonly string[] RequiredFiles = ["config.json", "tokenizer.json"];
    private readonly TableClient _table = storage.CreateTableServiceClient().GetTableClient(options.ModelsTable);
    private readonly BlobServiceClient _blobs = storage.CreateBlobServiceClient();
    private int _ready;

    /// <summary>Checks a model id: 1-256 letters, digits and <c>. _ - : /</c>.</summary>
    public static string ValidateId(string? id) =>
        !string.IsNullOrEmpty(id) && ModelId().IsMatch(id) ? id
            : throw ApiException.BadRequest($"Invalid model id '{id}': use 1-256 letters, digits, '.', '_', '-', ':' or '/'.", "id", "invalid_value");

    /// <summary>Uploads a local Hugging Face folder (config.json, tokenizer.json, *.safetensors) as base model <paramref name="id"/>.</summary>
    public async Task<ModelObject> RegisterFolderAsync(string project, string id, string folder, CancellationToken cancellationToken)
    {
        ValidateId(id);
        if (!Directory.Exists(folder)) throw ApiException.BadRequest($"No such folder: '{folder}'.", "path", "invalid_value");
        var missing = RequiredFiles.Where(f => !File.Exists(Path.Combine(folder, f))).ToList();
        if (!Directory.EnumerateFiles(folder, "*.safetensors").Any()) missing.Add("*.safetensors");
        if (missing.Count > 0)
            throw ApiException.BadRequest($"'{folder}' is not a Hugging Face model folder: missing {string.Join(", ", missing)}.", "path", "invalid_model_folder");
        await EnsureAsync(cancellationToken);
        if (await GetAsync(project, id, cancellationToken) is not null)
            throw new ApiException(409, $"Model '{id}' is already registered.", "id", "model_exists");

        var container = _blobs.GetBlobContainerClient(options.ModelsContainer);
        var prefix = $"{project}/{Uri.EscapeDataString(id)}/";
        long bytes = 0;
        foreach (var file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            await container.GetBlobClient(prefix + Path.GetFileName(file)).UploadAsync(file, overwrite: true, cancellationToken);
            bytes += new FileInfo(file).Length;
        }
        return await RegisterStoredAsync(project, id, options.ModelsContainer, prefix, cancellationToken, bytes);
    }

    /// <summary>
    /// Uploads the model files of a folder under the operator's import root (<see cref="ModelFolderImport"/>: no
    /// symlinks followed, only model files, one uniform refusal) as base model <paramref name="id"/> of
    /// <paramref name="project"/>, into the project's own folder of the models container.
    /// </summary>
    public async Task<ModelObject> RegisterImportAsync(string project, string id, string root, string path, CancellationToken cancellationToken)
    {
        ValidateId(id);
        var files = ModelFolderImport.Open(root, path);
        try
        {
            await EnsureAsync(cancellationToken);
            if (await GetAsync(project, id, cancellationToken) is not null)
                throw new ApiException(409, $"Model '{id}' is already registered.", "id", "model_exists");
            var container = _blobs.GetBlobContainerClient(options.ModelsContainer);
            var prefix = $"{project}/{Uri.EscapeDataString(id)}/";
            long bytes = 0;
            foreach (var (name, content) in files)
            {
                await container.GetBlobClient(prefix + name).UploadAsync(content, overwrite: true, cancellationToken);
                bytes += content.Length;
            }
            return await RegisterStoredAsync(project, id, options.ModelsContainer, prefix, cancellationToken, bytes);
        }
        finally
        {
            foreach (var (_, content) in files) await content.DisposeAsync();
        }
    }

    /// <summary>Splits <c>container/prefix</c> (the API's <c>blob</c>); null when it is not of that shape.</summary>
    public static (string Container, string Prefix)? ParseBlob(string blob)
    {
        var slash = blob.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? blob : blob[..slash];
        var prefix = slash < 0 ? "" : blob[(slash + 1)..].Trim('/');
        return ContainerName().IsMatch(container) && prefix.Length > 0 ? (container, prefix) : null;
    }

    /// <summary>
    /// Registers a base model whose Hugging Face folder is already in Blob Storage (<c>container/prefix</c> in this
    /// storage account), by reference: nothing is copied. The folder must hold config.json, tokenizer.json and at least
    /// one *.safetensors file at its top level.
    /// </summary>
    public async Task<ModelObject> RegisterBlobAsync(string project, string id, string blob, CancellationToken cancellationToken)
    {
        ValidateId(id);
        var slash = blob.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? blob : blob[..slash];
        var prefix = slash < 0 ? "" : blob[(slash + 1)..].Trim('/');
        if (!ContainerName().IsMatch(container) || prefix.Length == 0)
            throw ApiException.BadRequest($"blob must be 'container/prefix' (a container name of 3-63 lowercase letters, digits and '-', then a folder), not '{blob}'.", "blob", "invalid_value");
        prefix += "/";
        var names = new HashSet<string>(StringComparer.Ordinal);
        long bytes = 0;
        try
        {
            await foreach (var item in _blobs.GetBlobContainerClient(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
            {
                names.Add(item.Name[prefix.Length..]);
                bytes += item.Properties.ContentLength ?? 0;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw ApiException.BadRequest($"No such container: '{container}'.", "blob", "invalid_value");
        }
        var missing = RequiredFiles.Where(f => !names.Contains(f)).ToList();
        if (!names.Any(n => !n.Contains('/', StringComparison.Ordinal) && n.EndsWith(".safetensors", StringComparison.Ordinal))) missing.Add("*.safetensors");
        if (missing.Count > 0)
            throw ApiException.BadRequest($"'{container}/{prefix}' is not a Hugging Face model folder: missing {string.Join(", ", missing)}.", "blob", "invalid_model_folder");
        await EnsureAsync(cancellationToken);
        if (await GetAsync(project, id, cancellationToken) is not null)
            throw new ApiException(409, $"Model '{id}' is already registered.", "id", "model_exists");
        return await RegisterStoredAsync(project, id, container, prefix, cancellationToken, bytes);
    }

    /// <summary>Registers a model folder already in Blob Storage (e.g. a fine-tuned model or checkpoint written by training).</summary>
    public async Task<ModelObject> RegisterStoredAsync(string project, string id, string container, string prefix, CancellationToken cancellationToken, long? bytes = null)
    {
        ValidateId(id);
        await EnsureAsync(cancellationToken);
        if (!prefix.EndsWith('/')) prefix += "/";
        if (bytes is null)
        {
            bytes = 0;
            await foreach (var blob in _blobs.GetBlobContainerClient(container).GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken))
                bytes += blob.Properties.ContentLength ?? 0;
        }
        var model = new ModelObject(id, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), project);
        await _table.UpsertEntityAsync(new TableEntity(project, Uri.EscapeDataString(id))
        {
            ["Id"] = id,
            ["CreatedUnix"] = model.Created,
            ["Container"] = container,
            ["Prefix"] = prefix,
            ["Bytes"] = bytes,
        }, TableUpdateMode.Replace, cancellationToken);
        return model;
    }

    /// <summary>The registered model, or null when <paramref name="project"/> has none of that id.</summary>
    public async Task<RegisteredModel?> GetAsync(string project, string id, CancellationToken cancellationToken)
    {
        if (!ModelId().IsMatch(id)) return null;
        await EnsureAsync(cancellationToken);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(project, Uri.EscapeDataString(id), cancellationToken: cancellationToken);
        return row.HasValue ? ToModel(row.Value!) : null;
    }

    /// <summary>Every model of <paramref name="project"/>, by id.</summary>
    public async Task<IReadOnlyList<ModelObject>> ListAsync(string project, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken);
        var models = new List<ModelObject>();
        await foreach (var e in _table.QueryAsync<TableEntity>(x => x.PartitionKey == project, cancellationToken: cancellationToken))
            models.Add(ToModel(e).Model);
        return models.OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Deletes a model's record and its files; false when <paramref name="project"/> has none of that id.</summary>
    public async Task<bool> DeleteAsync(string project, string id, CancellationToken cancellationToken)
    {
        var model = await GetAsync(project, id, cancellationToken);
        if (model is null) return false;
        var container = _blobs.GetBlobContainerClient(model.Container);
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = model.Prefix }, cancellationToken))
            await container.DeleteBlobIfExistsAsync(blob.Name, DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        await _table.DeleteEntityAsync(project, Uri.EscapeDataString(id), ETag.All, cancellationToken);
        return true;
    }

    /// <summary>Downloads a model's folder into <paramref name="directory"/>.</summary>
    public async Task DownloadAsync(RegisteredModel model, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var container = _blobs.GetBlobContainerClient(model.Container);
        await foreach (var blob in container.GetBlobsAsync(new GetBlobsOptions { Prefix = model.Prefix }, cancellationToken))
        {
            var relative = blob.Name[model.Prefix.Length..];
            var target = Path.GetFullPath(Path.Combine(directory, relative));
            if (!target.StartsWith(Path.GetFullPath(directory), StringComparison.Ordinal)) continue; // never outside the folder
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await container.GetBlobClient(blob.Name).DownloadToAsync(target, cancellationToken);
        }
    }

    private static RegisteredModel ToModel(TableEntity e) =>
        new(new ModelObject(e.GetString("Id") ?? Uri.UnescapeDataString(e.RowKey), e.GetInt64("CreatedUnix") ?? 0, e.PartitionKey),
            e.GetString("Container") ?? "", e.GetString("Prefix") ?? "", e.GetInt64("Bytes") ?? 0);

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _ready) == 1) return;
        await _table.CreateIfNotExistsAsync(cancellationToken);
        await _blobs.GetBlobContainerClient(options.ModelsContainer).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        Volatile.Write(ref _ready, 1);
    }

    [GeneratedRegex(@"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")]
    private static partial Regex ContainerName();

    [GeneratedRegex(@"^[A-Za-z0-9._:/-]{1,256}$")]
    private static partial Regex ModelId();
}
