namespace RftFunctions.Functions.Grading;

/// <summary>
/// What this deployment lets graders call out to, bound from <c>Rft:Grading</c> (environment: <c>Rft__Grading__*</c>).
/// Keys may be Key Vault references in Azure (App Service / Functions resolve <c>@Microsoft.KeyVault(...)</c> settings).
/// Nothing is configured by default: score_model/label_model then work only with models registered in the caller's
/// project, cosine is refused, and endpoint graders reach only public addresses.
/// </summary>
public sealed record GradingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Rft:Grading";

    /// <summary>OpenAI-compatible chat endpoints for judges, by a name of the operator's choosing.</summary>
    public Dictionary<string, JudgeEndpointOptions> Judges { get; init; } = [];

    /// <summary>The embeddings endpoint for text_similarity <c>cosine</c>; none = cosine graders are refused.</summary>
    public EmbeddingsEndpointOptions? Embeddings { get; init; }

    /// <summary>Where endpoint graders may send requests, and the secrets their headers may reference.</summary>
    public EndpointEgressOptions Endpoints { get; init; } = new();

    /// <summary>Samples one Grade activity grades at once (each may wait on a judge or an endpoint).</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Answer tokens a judge served from a registered model may write when the grader sets none (and at most).</summary>
    public int LocalJudgeMaxTokens { get; init; } = 256;
}

/// <summary>One OpenAI-compatible chat endpoint serving judge models.</summary>
public sealed record JudgeEndpointOptions
{
    /// <summary>Base URL, e.g. <c>https://api.openai.com/v1</c>, <c>https://NAME.openai.azure.com/openai/v1/</c>, <c>http://vllm:8000/v1</c>.</summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>The key (empty for servers without authentication).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Grader model names this endpoint serves -> the model (deployment) name sent to it; an empty value sends the grader's name.</summary>
    public Dictionary<string, string> Models { get; init; } = [];

    /// <summary>Requests in flight to this endpoint at once (this process).</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>Seconds one request may take.</summary>
    public double TimeoutSeconds { get; init; } = 120;

    /// <summary>Retries on 408/429/5xx and transport errors (the OpenAI client's policy; Retry-After honoured).</summary>
    public int MaxRetries { get; init; } = 2;
}

/// <summary>The OpenAI-compatible embeddings endpoint for cosine similarity.</summary>
public sealed record EmbeddingsEndpointOptions
{
    /// <summary>Base URL (as for judges).</summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>The key (empty for servers without authentication).</summary>
    public string? ApiKey { get; init; }

    /// <summary>The embedding model (deployment) name, e.g. <c>text-embedding-3-small</c>.</summary>
    public string Model { get; init; } = "";

    /// <summary>Requests in flight at once (this process).</summary>
    public int MaxConcurrency { get; init; } = 8;
}

/// <summary>
/// The egress policy of endpoint graders. Loopback, link-local (cloud metadata included), private, shared (CGNAT),
/// multicast and unspecified addresses are refused unless listed in <see cref="AllowedNetworks"/>; when
/// <see cref="AllowedHosts"/> is not empty, only those host names may be called at all.
/// </summary>
public sealed record EndpointEgressOptions
{
    /// <summary>Host names endpoint graders may call (exact or <c>*.example.com</c>); empty = any public host.</summary>
    public List<string> AllowedHosts { get; init; } = [];

    /// <summary>Networks (CIDR, e.g. <c>10.1.0.0/16</c>, <c>127.0.0.0/8</c>) allowed although not public.</summary>
    public List<string> AllowedNetworks { get; init; } = [];

    /// <summary>Secrets header values may reference as <c>{{ secrets.NAME }}</c>, by name.</summary>
    public Dictionary<string, EndpointSecretOptions> Secrets { get; init; } = [];

    /// <summary>Endpoint requests in flight at once (this process, every job).</summary>
    public int MaxConcurrency { get; init; } = 16;

    /// <summary>Retries after the first attempt on 5xx, 408, 429, transport errors and timeouts.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The longest Retry-After (seconds) honoured before a retry.</summary>
    public double MaxRetryAfterSeconds { get; init; } = 10;
}

/// <summary>One operator secret for endpoint grader headers.</summary>
public sealed record EndpointSecretOptions
{
    /// <summary>The secret (a Key Vault reference in Azure).</summary>
    public string Value { get; init; } = "";

    /// <summary>Hosts it may be sent to (exact or <c>*.suffix</c>); empty = any host the policy allows.</summary>
    public List<string> Hosts { get; init; } = [];
}
