using System.Security.Cryptography;
using System.Text;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Model;
using RftFunctions.Model.Tokenization;
using RftFunctions.Model.Tokenization.Chat;

namespace RftFunctions.Functions.Api.Chat;

/// <summary>A model loaded for serving. Generation on one model is serialised through <see cref="Gate"/>.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(DecoderModel model, HuggingFaceTokenizer tokenizer, ChatFormat format, long bytes, string folder)
    {
        Model = model;
        Tokenizer = new ServingTokenizer(tokenizer);
        Format = format;
        Bytes = bytes;
        Folder = folder;
        Generator = new TextGenerator(model, Tokenizer);
    }

    /// <summary>The weights.</summary>
    public DecoderModel Model { get; }

    /// <summary>The tokenizer (ids past its vocabulary decode to nothing).</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>The chat template family.</summary>
    public ChatFormat Format { get; }

    /// <summary>The sampler.</summary>
    public TextGenerator Generator { get; }

    /// <summary>What this model counts against the cache's bound.</summary>
    public long Bytes { get; }

    /// <summary>One generation at a time per model (the KV cache and module state are not shared safely).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    internal string Folder { get; }
    internal int Users;
    internal long LastUsed;

    /// <inheritdoc />
    public void Dispose()
    {
        Model.Dispose();
        Gate.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover download folder is harmless; the next load of the model writes a fresh one.
        }
    }
}

/// <summary>
/// Loads registered models on first use (download from Blob Storage, then <see cref="ModelFolder.Load"/>) and keeps
/// them while their total size stays under <see cref="ApiOptions.ModelCacheBytes"/>; the least recently used idle
/// model is unloaded first. A model in use is never unloaded, so the bound can be exceeded briefly under load.
/// </summary>
public sealed class ModelCache(ModelRegistry registry, ApiOptions options, ComputeDevice device) : IDisposable
{
    private readonly Dictionary<(string Project, string Id), Task<LoadedModel>> _entries = [];
    private readonly string _root = options.ModelCacheDirectory.Length > 0 ? options.ModelCacheDirectory
        : Path.Combine(Path.GetTempPath(), "rft-model-cache", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Models currently loaded (for tests and the dashboard).</summary>
    public IReadOnlyList<string> Loaded
    {
        get
        {
            lock (_entries) return _entries.Where(e => e.Value.IsCompletedSuccessfully).Select(e => e.Key.Id).Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>The loaded model for a request; dispose the lease when done. 404 when the project has no such model.</summary>
    public async Task<ModelLease> AcquireAsync(string project, string id, CancellationToken cancellationToken)
    {
        var registered = await registry.GetAsync(project, id, cancellationToken)
                         ?? throw new ApiException(404, $"The model '{id}' does not exist or you do not have access to it.", "model", "model_not_found");
        Task<LoadedModel> load;
        lock (_entries)
        {
            if (!_entries.TryGetValue((project, id), out load!))
                _entries[(project, id)] = load = Task.Run(() => LoadAsync(registered, CancellationToken.None), CancellationToken.None);
        }
        LoadedModel model;
        try
        {
            model = await load.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            lock (_entries) _entries.Remove((project, id));
            throw new ApiException(500, $"The model '{id}' could not be loaded: {e.Message}", "model", "model_load_failed", "server_error");
        }
        Interlocked.Increment(ref model.Users);
        Volatile.Write(ref model.LastUsed, Environment.TickCount64);
        EvictOverBound(model);
        return new ModelLease(model);
    }

    /// <summary>Unloads a model (after it was deleted); a model in use is unloaded by its last user's lease.</summary>
    public void Evict(string project, string id)
    {
        Task<LoadedModel>? load;
        lock (_entries)
        {
            if (!_entries.Remove((project, id), out load)) return;
        }
        if (load.IsCompletedSuccessfully && Volatile.Read(ref load.Result.Users) == 0) load.Result.Dispose();
    }

    private async Task<LoadedModel> LoadAsync(RegisteredModel registered, CancellationToken cancellationToken)
    {
        var key = $"{registered.Model.OwnedBy}/{registered.Model.Id}/{registered.Model.Created}";
        var folder = Path.Combine(_root, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24]);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        await registry.DownloadAsync(registered, folder, cancellationToken);
        var model = ModelFolder.Load(folder, device.Device);
        var tokenizer = HuggingFaceTokenizer.Load(folder);
        return new LoadedModel(model, tokenizer, tokenizer.ChatFormat(ChatFormatFallback.RftTiny), Math.Max(1, registered.Bytes), folder);
    }

    private void EvictOverBound(LoadedModel current)
    {
        var idle = new List<LoadedModel>();
        lock (_entries)
        {
            var loaded = _entries.Where(e => e.Value.IsCompletedSuccessfully).ToList();
            long total = loaded.Sum(e => e.Value.Result.Bytes);
            foreach (var (key, task) in loaded.OrderBy(e => Volatile.Read(ref e.Value.Result.LastUsed)))
            {
                if (total <= options.ModelCacheBytes) break;
                var model = task.Result;
                if (model == current || Volatile.Read(ref model.Users) > 0) continue;
                _entries.Remove(key);
                total -= model.Bytes;
                idle.Add(model);
            }
        }
        foreach (var model in idle) model.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_entries)
        {
            foreach (var task in _entries.Values.Where(t => t.IsCompletedSuccessfully)) task.Result.Dispose();
            _entries.Clear();
        }
    }
}

/// <summary>A request's hold on a loaded model.</summary>
public sealed class ModelLease(LoadedModel model) : IDisposable
{
    /// <summary>The model.</summary>
    public LoadedModel Model { get; } = model;

    /// <inheritdoc />
    public void Dispose() => Interlocked.Decrement(ref Model.Users);
}
