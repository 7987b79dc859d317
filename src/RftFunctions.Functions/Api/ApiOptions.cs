namespace RftFunctions.Functions.Api;

/// <summary>Settings of the OpenAI-compatible API, bound from the <c>Rft</c> section (environment: <c>Rft__*</c>).</summary>
public sealed record ApiOptions
{
    /// <summary>A key accepted for <see cref="DevelopmentProject"/> without being stored (local development only); empty disables it.</summary>
    public string DevelopmentApiKey { get; init; } = "";

    /// <summary>The project the development key maps to, and the owner of dropped blobs with no project folder.</summary>
    public string DevelopmentProject { get; init; } = "default";

    /// <summary>The largest file <c>POST /v1/files</c> or the blob trigger accepts, in bytes.</summary>
    public long MaxUploadBytes { get; init; } = 512L << 20;

    /// <summary>Prepended to the API's table, container and queue names (lowercase letters and digits), so several
    /// deployments or test runs can share one account.</summary>
    public string StoragePrefix { get; init; } = "";

    /// <summary>How often the blob-upload trigger scans the datasets container, in milliseconds.</summary>
    public int BlobTriggerPollMilliseconds { get; init; } = 500;

    /// <summary>The Functions host id used in blob receipt paths.</summary>
    public string HostId { get; init; } = "rft";

    /// <summary>How many bytes of model weights the chat endpoint keeps loaded (least recently used are unloaded first).</summary>
    public long ModelCacheBytes { get; init; } = 8L << 30;

    /// <summary>Where registered models are downloaded for serving; empty means a folder under the temp directory.</summary>
    public string ModelCacheDirectory { get; init; } = "";

    /// <summary>
    /// The only server folder <c>POST /v1/models</c> with <c>path</c> may read from (<c>Rft__ModelImportRoot</c>); paths
    /// are taken relative to it and no symlink is followed. Empty (the default): path registration over HTTP is refused
    /// and only the operator's CLI (<c>rft models register --path</c>) reads server folders.
    /// </summary>
    public string ModelImportRoot { get; init; } = "";

    /// <summary>Upper bounds on every trainer setting and the per-job cost ceiling, checked at job create
    /// (<c>Rft:TrainingLimits:*</c>, e.g. <c>Rft__TrainingLimits__MaxTokensPerJob</c>).</summary>
    public RftFunctions.Training.Config.TrainingLimits TrainingLimits { get; init; } = new();

    /// <summary>Names derived from <see cref="StoragePrefix"/>.</summary>
    public string FilesTable => Prefix + "Files";

    /// <summary>The API keys table.</summary>
    public string ApiKeysTable => Prefix + "ApiKeys";

    /// <summary>The models table.</summary>
    public string ModelsTable => Prefix + "Models";

    /// <summary>Uploaded files, by id.</summary>
    public string FilesContainer => Prefix + "files";

    /// <summary>The drop zone the blob-upload trigger watches.</summary>
    public string DatasetsContainer => Prefix + "datasets";

    /// <summary>Registered models.</summary>
    public string ModelsContainer => Prefix + "models";

    /// <summary>Where blobs go after 5 failed trigger attempts (the Functions poison queue name).</summary>
    public string PoisonQueue => Prefix + "webjobs-blobtrigger-poison";

    private string Prefix => StoragePrefix.ToLowerInvariant();
}
