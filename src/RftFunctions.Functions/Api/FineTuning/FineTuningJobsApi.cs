using Microsoft.Extensions.DependencyInjection.Extensions;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Jobs;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// <c>/v1/fine_tuning/jobs</c>: create, list, retrieve, cancel, pause, resume, events and checkpoints, in OpenAI's
/// shapes. Every job belongs to the caller's project; another project's job answers 404 exactly like an unknown id.
/// Control requests that the job's status does not allow answer 409 (<c>invalid_job_status</c>).
/// </summary>
public sealed class FineTuningJobsApi : IFineTuningJobsApi
{
    private const string IdParam = "fine_tuning_job_id";

    /// <inheritdoc />
    public void MapFineTuningJobsApi(RouteGroupBuilder v1)
    {
        ArgumentNullException.ThrowIfNull(v1);
        var jobs = v1.MapGroup("/fine_tuning/jobs").WithTags("Fine-tuning");
        jobs.MapPost("/", CreateAsync);
        jobs.MapGet("/", ListAsync);
        jobs.MapGet("/{jobId}", RetrieveAsync);
        jobs.MapPost("/{jobId}/cancel", (HttpContext c, string jobId, TrainingJobService s, CancellationToken ct) => ControlAsync(c, jobId, s.CancelAsync, ct));
        jobs.MapPost("/{jobId}/pause", (HttpContext c, string jobId, TrainingJobService s, CancellationToken ct) => ControlAsync(c, jobId, s.PauseAsync, ct));
        jobs.MapPost("/{jobId}/resume", ResumeAsync);
        jobs.MapGet("/{jobId}/events", EventsAsync);
        jobs.MapGet("/{jobId}/checkpoints", CheckpointsAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, FineTuningJobCreator creator, GraderServices graders, CancellationToken cancellationToken)
    {
        var request = FineTuningJobRequest.Parse(await ApiJson.ReadObjectAsync(context.Request, cancellationToken));
        await Graders.PythonGraderAdmission.CheckAsync(request.Grader, "method.reinforcement.grader", ApiProject.Of(context), graders.Python, cancellationToken);
        return ApiJson.Ok(await creator.CreateAsync(ApiProject.Of(context), request, cancellationToken));
    }

    private static async Task<IResult> ListAsync(HttpContext context, JobStore store, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        int limit = Paging.Limit(query, 20, 100);
        var filters = MetadataFilters(query);
        var jobs = (await store.ListAsync(ApiProject.Of(context), cancellationToken)).Where(j => Matches(j, filters)).ToList();
        return ApiJson.Ok(Paging.Page(jobs, j => j.Id, query["after"].ToString(), limit));
    }

    private static async Task<IResult> RetrieveAsync(HttpContext context, string jobId, JobStore store, CancellationToken cancellationToken) =>
        ApiJson.Ok(await RequireAsync(context, jobId, store, cancellationToken));

    private static async Task<IResult> ControlAsync(HttpContext context, string jobId, Func<string, CancellationToken, Task<FineTuningJobObject>> action, CancellationToken cancellationToken)
    {
        await RequireAsync(context, jobId, context.RequestServices.GetRequiredService<JobStore>(), cancellationToken);
        try
        {
            return ApiJson.Ok(await action(jobId, cancellationToken));
        }
        catch (InvalidOperationException e)
        {
            throw new ApiException(409, e.Message, IdParam, "invalid_job_status");
        }
    }

    /// <summary>Resume, optionally under a new compute budget (the body is checked before the job is looked up).</summary>
    private static async Task<IResult> ResumeAsync(HttpContext context, string jobId, TrainingJobService service, CancellationToken cancellationToken)
    {
        bool hasBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
        var budget = hasBody ? ResumeJobRequest.Parse(await ApiJson.ReadObjectAsync(context.Request, cancellationToken)) : null;
        return await ControlAsync(context, jobId, (id, ct) => service.ResumeAsync(id, budget, ct), cancellationToken);
    }

    private static async Task<IResult> EventsAsync(HttpContext context, string jobId, JobStore store, CancellationToken cancellationToken)
    {
        await RequireAsync(context, jobId, store, cancellationToken);
        int limit = Paging.Limit(context.Request.Query, 20, 1000);
        var after = context.Request.Query["after"].ToString();
        if (after.Length > 0 && !after.StartsWith("ftevent-", StringComparison.Ordinal))
            throw ApiException.BadRequest($"after must be an event id (ftevent-...), not '{after}'.", "after", "invalid_value");
        if (after.Length > 0 && !await store.EventExistsAsync(jobId, after, cancellationToken))
            throw ApiException.BadRequest($"after: no event with id '{after}' in this job.", "after", "invalid_value");
        var (data, hasMore) = await store.ListEventsAsync(jobId, after.Length > 0 ? after : null, limit, cancellationToken);
        return ApiJson.Ok(new ApiJson.ListPage<JobEventObject>(data, hasMore)
        {
            FirstId = data.Count > 0 ? data[0].Id : null,
            LastId = data.Count > 0 ? data[^1].Id : null,
        });
    }

    private static async Task<IResult> CheckpointsAsync(HttpContext context, string jobId, JobStore store, CancellationToken cancellationToken)
    {
        await RequireAsync(context, jobId, store, cancellationToken);
        int limit = Paging.Limit(context.Request.Query, 10, 100);
        var checkpoints = await store.ListCheckpointsAsync(jobId, cancellationToken);
        return ApiJson.Ok(Paging.Page(checkpoints, c => c.Id, context.Request.Query["after"].ToString(), limit));
    }

    private static async Task<FineTuningJobObject> RequireAsync(HttpContext context, string jobId, JobStore store, CancellationToken cancellationToken) =>
        await store.GetForProjectAsync(ApiProject.Of(context), jobId, cancellationToken)
        ?? throw new ApiException(404, $"No such fine-tuning job: '{jobId}'.", IdParam, "fine_tuning_job_not_found");

    /// <summary><c>metadata[k]=v</c> pairs; <c>metadata=null</c> asks for jobs without metadata.</summary>
    private static Dictionary<string, string>? MetadataFilters(IQueryCollection query)
    {
        if (query["metadata"].ToString() == "null") return null;
        var filters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in query)
        {
            if (key.StartsWith("metadata[", StringComparison.Ordinal) && key.EndsWith(']') && key.Length > "metadata[]".Length)
                filters[key["metadata[".Length..^1]] = value.ToString();
            else if (key is not ("after" or "limit" or "metadata"))
                throw ApiException.BadRequest($"Unrecognized query parameter: {key}", key, "unknown_parameter");
        }
        return filters;
    }

    private static bool Matches(FineTuningJobObject job, Dictionary<string, string>? filters) =>
        filters is null ? job.Metadata is null || job.Metadata.Count == 0
            : filters.All(f => job.Metadata is not null && job.Metadata.TryGetValue(f.Key, out var v) && v == f.Value);
}

/// <summary>Registration of the jobs endpoints.</summary>
public static class FineTuningJobsRegistration
{
    /// <summary>
    /// Adds the jobs API (mapped by <see cref="OpenAiApi.MapOpenAiApi"/>) and names the job tables and container with
    /// the API's storage prefix unless <c>Rft:Jobs</c> names them. Call before <c>AddRftTraining</c> (which only adds unprefixed defaults when none are
    /// registered); needs the durable client for <see cref="TrainingJobService"/>.
    /// </summary>
    public static IServiceCollection AddFineTuningJobsApi(this IServiceCollection services, IConfiguration configuration)
    {
        var prefix = (configuration.GetSection(Hosting.RftHostOptions.Section).Get<ApiOptions>() ?? new ApiOptions()).StoragePrefix.ToLowerInvariant();
        // Rft:Jobs:* (e.g. Rft__Jobs__Container) still names each one explicitly; the prefix only changes the defaults.
        var jobs = configuration.GetSection(Hosting.RftHostOptions.Section + ":Jobs");
        services.TryAddSingleton(new JobStorageOptions
        {
            Container = jobs["Container"] ?? prefix + "jobs",
            JobsTable = jobs["JobsTable"] ?? prefix + "Jobs",
            EventsTable = jobs["EventsTable"] ?? prefix + "JobEvents",
            CheckpointsTable = jobs["CheckpointsTable"] ?? prefix + "Checkpoints",
            BaseModelCacheDirectory = jobs["BaseModelCacheDirectory"] ?? "",
        });
        services.TryAddSingleton<FineTuningJobCreator>();
        services.TryAddSingleton<IFineTuningJobsApi, FineTuningJobsApi>();
        return services;
    }
}
