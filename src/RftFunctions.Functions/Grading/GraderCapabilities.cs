using System.Text.Json;
using RftFunctions.Functions.Api;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Validation;

namespace RftFunctions.Functions.Grading;

/// <summary>
/// The deployment-capability check behind /graders/validate, /graders/run and job create: a grader that is valid
/// OpenAI config but that this deployment cannot run (an unknown judge model, cosine without an embeddings endpoint,
/// an endpoint outside the egress policy or naming a secret it may not use) is refused with the JSON path of the field,
/// so no job trains on a reward that can only be 0.
/// </summary>
public sealed class GraderCapabilities(ProjectGraderServices services)
{
    /// <summary>Every problem, each with its JSON path (<c>$.model</c>, <c>$.graders.judge.model</c>).</summary>
    public async Task<IReadOnlyList<GraderValidationError>> CheckAsync(string project, GraderConfig grader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grader);
        var problems = new List<GraderValidationError>();
        await CheckAsync(project, grader, "$", problems, cancellationToken);
        return problems;
    }

    private async Task CheckAsync(string project, GraderConfig grader, string path, List<GraderValidationError> problems, CancellationToken ct)
    {
        switch (grader)
        {
            case MultiGraderConfig multi:
                foreach (var (name, sub) in multi.Graders) await CheckAsync(project, sub, GraderValidator.Join(path + ".graders", name), problems, ct);
                break;
            case ScoreModelGraderConfig score:
                await CheckJudgeAsync(project, score.Model, path, problems, ct);
                break;
            case LabelModelGraderConfig label:
                await CheckJudgeAsync(project, label.Model, path, problems, ct);
                break;
            case TextSimilarityGraderConfig text when text.EvaluationMetric == "cosine" && services.Embeddings is null:
                problems.Add(new(path + ".evaluation_metric",
                    "the cosine metric needs an embeddings endpoint and this deployment has none configured (Rft:Grading:Embeddings); use another evaluation_metric"));
                break;
            case EndpointGraderConfig endpoint:
                await CheckEndpointAsync(endpoint, path, problems, ct);
                break;
        }
    }

    private async Task CheckJudgeAsync(string project, string model, string path, List<GraderValidationError> problems, CancellationToken ct)
    {
        if (await services.Judges.CanServeAsync(project, model, ct)) return;
        // Names only what the caller may know: the operator's judge names and "your registered models".
        var configured = services.Judges.ConfiguredModels.Order(StringComparer.Ordinal).ToList();
        problems.Add(new(path + ".model", $"no judge serves model '{model}' on this deployment: use a model registered in your project" +
            (configured.Count > 0 ? " or one of: " + string.Join(", ", configured) : " (no hosted judge models are configured)")));
    }

    private async Task CheckEndpointAsync(EndpointGraderConfig endpoint, string path, List<GraderValidationError> problems, CancellationToken ct)
    {
        if (!Uri.TryCreate(endpoint.Url, UriKind.Absolute, out var url)) return; // the validator already said so
        using var lookup = CancellationTokenSource.CreateLinkedTokenSource(ct);
        lookup.CancelAfter(TimeSpan.FromSeconds(10));
        string? problem;
        try
        {
            problem = await services.Egress.ProblemAsync(url, lookup.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            problem = $"host '{url.Host}' did not resolve within 10 s";
        }
        if (problem is not null) problems.Add(new(path + ".url", problem));
        foreach (var (name, value) in endpoint.Headers ?? new Dictionary<string, string>())
            if (services.Endpoints.Secrets.Problem(value, url.IdnHost) is { } secretProblem)
                problems.Add(new(GraderValidator.Join(path + ".headers", name), secretProblem));
    }
}

/// <summary>The API's use of <see cref="GraderCapabilities"/>: a 400 in OpenAI's envelope naming the first field.</summary>
public static class GraderCapabilitiesApi
{
    /// <summary>Refuses a (validated) grader this deployment cannot run; <paramref name="param"/> prefixes the field path.</summary>
    public static async Task RequireRunnableAsync(this GraderCapabilities capabilities, string project, JsonElement grader, string param, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        var problems = await capabilities.CheckAsync(project, GraderConfigJson.Parse(grader), cancellationToken);
        if (problems.Count == 0) return;
        throw ApiException.BadRequest("this deployment cannot run the grader: " + string.Join("; ", problems),
            param + problems[0].Path.TrimStart('$'), "unsupported_grader");
    }
}
