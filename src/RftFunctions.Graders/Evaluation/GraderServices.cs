using RftFunctions.Graders.Endpoint;
using RftFunctions.Graders.Models;
using RftFunctions.Graders.Python;

namespace RftFunctions.Graders.Evaluation;

/// <summary>
/// What graders may call out to. Everything is optional: a grader whose service is missing scores 0 with
/// <c>other_error</c> (or <c>python_grader_server_error</c>) and a detail saying what is not configured.
/// </summary>
public sealed record GraderServices
{
    /// <summary>Judge for score_model and label_model.</summary>
    public IChatModelClient? ChatModel { get; init; }

    /// <summary>Embeddings for the cosine metric.</summary>
    public IEmbeddingProvider? Embeddings { get; init; }

    /// <summary>Worker pool for python graders.</summary>
    public PythonGraderPool? Python { get; init; }

    /// <summary>
    /// The project whose graders these services run (null: <see cref="PythonGraderPool.DefaultProject"/>). Python
    /// workers are never shared across projects, so callers grading for a project set it:
    /// <c>services with { Project = project }</c>.
    /// </summary>
    public string? Project { get; init; }

    /// <summary>HTTP caller for endpoint graders.</summary>
    public EndpointGraderClient? Endpoints { get; init; }

    /// <summary>No services: string, text (except cosine), multi and ranked_list graders still work.</summary>
    public static readonly GraderServices None = new();
}
