using RftFunctions.Graders.Endpoint;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Models;

namespace RftFunctions.Functions.Grading;

/// <summary>
/// The grader services of one project: the process's base services (the python pool) plus the judges, embeddings
/// and endpoint client this deployment is configured with. Judges are per project because a registered model judges
/// only for the project that owns it.
/// </summary>
public sealed class ProjectGraderServices : IDisposable
{
    private readonly HttpClient _endpointHttp;

    /// <summary>Builds the shared clients from the operator's settings.</summary>
    public ProjectGraderServices(GradingOptions options, JudgeDirectory judges)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Judges = judges;
        Egress = new EgressPolicy(options.Endpoints);
        if (options.Embeddings is { } e && e.BaseUrl.Length > 0)
        {
            if (!Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var baseUrl) || e.Model.Length == 0)
                throw new InvalidOperationException($"{GradingOptions.Section}:Embeddings needs an absolute BaseUrl and a Model");
            Embeddings = new LimitedEmbeddingProvider(new OpenAiEmbeddings(new OpenAiEndpoint(baseUrl, e.ApiKey, e.Model)), new SemaphoreSlim(Math.Max(1, e.MaxConcurrency)));
        }
        // No redirects (a 3xx is a failed call) and no proxy: the connect callback must see the real destination.
        _endpointHttp = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = Egress.ConnectAsync,
            AllowAutoRedirect = false,
            UseProxy = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var endpoints = options.Endpoints;
        Endpoints = new EndpointGraderClient(_endpointHttp, new EndpointRetryOptions
        {
            MaxRetries = Math.Clamp(endpoints.MaxRetries, 0, 10),
            MaxRetryAfter = TimeSpan.FromSeconds(Math.Clamp(endpoints.MaxRetryAfterSeconds, 0, 300)),
            MaxConcurrency = Math.Max(1, endpoints.MaxConcurrency),
        }, new EndpointSecrets(endpoints.Secrets.ToDictionary(s => s.Key, s => new EndpointSecret(s.Value.Value, s.Value.Hosts), StringComparer.Ordinal)));
    }

    /// <summary>The operator's settings.</summary>
    public GradingOptions Options { get; }

    /// <summary>Judge resolution.</summary>
    public JudgeDirectory Judges { get; }

    /// <summary>The endpoint egress policy.</summary>
    public EgressPolicy Egress { get; }

    /// <summary>The embeddings provider, or null when none is configured.</summary>
    public IEmbeddingProvider? Embeddings { get; }

    /// <summary>The endpoint grader client (egress policy, retries, secrets).</summary>
    public EndpointGraderClient Endpoints { get; }

    /// <summary>The services a grader of <paramref name="project"/> gets, on top of <paramref name="baseServices"/>.</summary>
    public GraderServices For(string project, GraderServices baseServices)
    {
        ArgumentNullException.ThrowIfNull(baseServices);
        return baseServices with
        {
            ChatModel = baseServices.ChatModel ?? Judges.For(project),
            Embeddings = baseServices.Embeddings ?? Embeddings,
            Endpoints = baseServices.Endpoints ?? Endpoints,
            // Python workers are never shared across projects.
            Project = project,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _endpointHttp.Dispose();
}
