namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// The seam for <c>/v1/fine_tuning/jobs</c>: the training orchestration implements it and maps its endpoint group under
/// the same authenticated <c>/v1</c> group (see <see cref="OpenAiApi.MapOpenAiApi"/>, which calls
/// <see cref="IFineTuningJobsApi.MapFineTuningJobsApi"/> when one is registered). Handlers read the caller's project with
/// <see cref="Auth.ApiProject.Of"/>, resolve files through <see cref="Files.FileStore"/> and register the resulting
/// <c>ft:</c> models through <see cref="Models.ModelRegistry.RegisterStoredAsync"/>.
/// </summary>
public interface IFineTuningJobsApi
{
    /// <summary>Maps the jobs endpoints under the authenticated <c>/v1</c> group.</summary>
    void MapFineTuningJobsApi(RouteGroupBuilder v1);
}
