using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Api.Models;

/// <summary>
/// Which blob folders a project may register as a model over the API: its own folder of the models container
/// (<c>models/{project}/...</c>, where <c>rft models register --path</c> and the demo upload its base models) and the
/// folders of its own jobs (<c>jobs/{jobId}/...</c>: fine-tuned outputs and checkpoints). Everything else in the account
/// (another project's models, jobs, files, the task hub) is the operator's to register, with <c>rft models register</c>
/// on the storage credential. Decided from the name alone, before anything in storage is read, so a refusal says nothing
/// about what exists.
/// </summary>
public sealed class ModelBlobOwnership(ApiOptions options, IServiceProvider services)
{
    /// <summary>True when <paramref name="project"/> owns <c>container/prefix</c> (prefix without a trailing '/').</summary>
    public async Task<bool> OwnsAsync(string project, string container, string prefix, CancellationToken cancellationToken)
    {
        var segments = prefix.Split('/');
        // Blob names are literal, but a '.' or '..' segment would read as a path to people and tools; refuse them outright.
        if (segments.Any(s => s.Length == 0 || s is "." or ".." || s.Contains('\\', StringComparison.Ordinal))) return false;
        if (container == options.ModelsContainer) return segments.Length >= 2 && segments[0] == project;
        // The jobs container exists only where training is registered (the host; API-only tests have none).
        if (services.GetService<JobStorageOptions>() is { } jobs && container == jobs.Container && services.GetService<JobStore>() is { } store)
            return segments.Length >= 2 && await store.GetForProjectAsync(project, segments[0], cancellationToken) is not null;
        return false;
    }
}
