using RftFunctions.Functions.Api.Chat;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Graders.Models;

namespace RftFunctions.Functions.Grading;

/// <summary>
/// Which judge serves a grader's <c>model</c>: first the operator's configured endpoints (by their model-name map),
/// then a model registered in the caller's own project. One client per configured endpoint, shared by every job in
/// the process and held to the endpoint's concurrency limit.
/// </summary>
public sealed class JudgeDirectory
{
    private readonly Dictionary<string, IChatModelClient> _configured = new(StringComparer.OrdinalIgnoreCase);
    private readonly ModelRegistry? _registry;
    private readonly ModelCache? _cache;
    private readonly int _localMaxTokens;

    /// <summary>Builds the configured clients; the registry and cache are absent in processes without the API's services.</summary>
    public JudgeDirectory(GradingOptions options, ModelRegistry? registry = null, ModelCache? cache = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _registry = registry;
        _cache = cache;
        _localMaxTokens = Math.Max(1, options.LocalJudgeMaxTokens);
        foreach (var (name, endpoint) in options.Judges)
        {
            if (!Uri.TryCreate(endpoint.BaseUrl, UriKind.Absolute, out var baseUrl))
                throw new InvalidOperationException($"{GradingOptions.Section}:Judges:{name}:BaseUrl must be an absolute URL");
            var limit = new SemaphoreSlim(Math.Max(1, endpoint.MaxConcurrency));
            foreach (var (graderModel, sentModel) in endpoint.Models)
            {
                var client = new OpenAiChatJudge(new OpenAiEndpoint(baseUrl, endpoint.ApiKey, string.IsNullOrEmpty(sentModel) ? graderModel : sentModel,
                    TimeSpan.FromSeconds(Math.Clamp(endpoint.TimeoutSeconds, 1, 600)), Math.Clamp(endpoint.MaxRetries, 0, 5)));
                _configured[graderModel] = new LimitedChatModelClient(client, limit);
            }
        }
    }

    /// <summary>Model names the operator configured.</summary>
    public IEnumerable<string> ConfiguredModels => _configured.Keys;

    /// <summary>True when <paramref name="model"/> can judge for <paramref name="project"/>.</summary>
    public async Task<bool> CanServeAsync(string project, string model, CancellationToken cancellationToken) =>
        _configured.ContainsKey(model) ||
        (_registry is not null && _cache is not null && await _registry.GetAsync(project, model, cancellationToken) is not null);

    /// <summary>The judge client of one project: it resolves each request's model when it is made.</summary>
    public IChatModelClient For(string project) => new ProjectJudge(this, project);

    private sealed class ProjectJudge(JudgeDirectory directory, string project) : IChatModelClient
    {
        public Task<ChatModelResponse> CompleteAsync(ChatModelRequest request, CancellationToken cancellationToken)
        {
            if (directory._configured.TryGetValue(request.Model, out var configured)) return configured.CompleteAsync(request, cancellationToken);
            if (directory._cache is null)
                throw new ModelEndpointException($"no judge serves model '{request.Model}' on this deployment");
            // The cache answers 404 for a model outside the project, which the grader reports as model_grader_server_error.
            return new RegisteredModelJudge(directory._cache, project, directory._localMaxTokens).CompleteAsync(request, cancellationToken);
        }
    }
}

/// <summary>Holds a judge to a number of requests in flight.</summary>
internal sealed class LimitedChatModelClient(IChatModelClient inner, SemaphoreSlim limit) : IChatModelClient
{
    public async Task<ChatModelResponse> CompleteAsync(ChatModelRequest request, CancellationToken cancellationToken)
    {
        await limit.WaitAsync(cancellationToken);
        try
        {
            return await inner.CompleteAsync(request, cancellationToken);
        }
        finally
        {
            limit.Release();
        }
    }
}

/// <summary>Holds an embeddings provider to a number of requests in flight.</summary>
internal sealed class LimitedEmbeddingProvider(IEmbeddingProvider inner, SemaphoreSlim limit) : IEmbeddingProvider
{
    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        await limit.WaitAsync(cancellationToken);
        try
        {
            return await inner.EmbedAsync(texts, cancellationToken);
        }
        finally
        {
            limit.Release();
        }
    }
}
