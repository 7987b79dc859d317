using System.Security.Cryptography;
using RftFunctions.Functions.Api.Files;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Functions.Grading;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// Turns a checked <see cref="FineTuningJobRequest"/> into a running job for a project: resolves the model and the
/// files in that project (400 naming the parameter when one is missing, not a fine-tune file, not processed, or over
/// OpenAI's line limits), resolves the hyperparameters, copies the files into the <c>jobs</c> container (the job
/// keeps training even if the user deletes them) and starts the orchestration.
/// </summary>
public sealed class FineTuningJobCreator(FileStore files, ModelRegistry models, JobStore store, TrainingJobService jobs, ApiOptions options,
    GraderCapabilities? graders = null, Health.StorageHealth? storage = null)
{
    /// <summary>The baseline the hyperparameters resolve against (the config's documented defaults).</summary>
    public static RftTrainingConfig Baseline { get; } = new();

    /// <summary>Creates the job; returns its object (status validating_files).</summary>
    public async Task<FineTuningJobObject> CreateAsync(string project, FineTuningJobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // A create writes to all three services (blobs, the job row, the start message): when one does not answer,
        // say so at once (503) and write nothing, rather than wait out the SDK's retries on each and leave a part behind.
        if (storage is not null && (await storage.ProbeAsync(cancellationToken)).Any(p => !p.Ok)) throw StorageOutage.Unavailable();
        var model = await models.GetAsync(project, request.Model, cancellationToken)
            ?? throw ApiException.BadRequest($"Model {request.Model} is not available for fine-tuning or does not exist.", "model", "model_not_available");
        // A grader this deployment cannot run would train on zero reward: refuse it here (Grading/GraderCapabilities).
        if (graders is not null) await graders.RequireRunnableAsync(project, request.Grader, "method.reinforcement.grader", cancellationToken);
        var training = await ReadFileAsync(project, request.TrainingFile, "training_file", DatasetLimits.Training, cancellationToken);
        var validation = await ReadFileAsync(project, request.ValidationFile, "validation_file", DatasetLimits.Validation, cancellationToken);
        var config = request.Resolve(Baseline, training.Examples, options.TrainingLimits);

        var jobId = "ftjob-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await store.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var trainingBlob = $"{jobId}/input/training.jsonl";
        var validationBlob = $"{jobId}/input/validation.jsonl";
        await store.Container.GetBlobClient(trainingBlob).UploadAsync(training.Content, overwrite: true, cancellationToken);
        await store.Container.GetBlobClient(validationBlob).UploadAsync(validation.Content, overwrite: true, cancellationToken);
        var spec = new TrainingJobSpec
        {
            JobId = jobId,
            Project = project,
            BaseModel = request.Model,
            BaseModelBlob = new BlobFolder(model.Container, model.Prefix),
            TrainingBlob = trainingBlob,
            ValidationBlob = validationBlob,
            Grader = request.Grader,
            OutputJsonRequired = request.OutputJsonRequired,
            Config = config,
            Suffix = request.Suffix,
        };
        return await jobs.CreateAsync(spec, request.TrainingFile, request.ValidationFile, request.Metadata, cancellationToken, request.Method);
    }

    private async Task<(BinaryData Content, int Examples)> ReadFileAsync(string project, string fileId, string param, DatasetLimits limits, CancellationToken cancellationToken)
    {
        var file = await files.GetAsync(project, fileId, cancellationToken)
            ?? throw ApiException.BadRequest($"invalid {param}: no file '{fileId}'.", param, "invalid_file");
        if (file.Purpose != "fine-tune")
            throw ApiException.BadRequest($"invalid {param}: file '{fileId}' has purpose '{file.Purpose}', not 'fine-tune'.", param, "invalid_file");
        if (file.Status != "processed")
            throw ApiException.BadRequest($"invalid {param}: file '{fileId}' has status '{file.Status}': {file.StatusDetails}", param, "invalid_file");
        BinaryData content;
        await using (var stream = await files.OpenReadAsync(project, fileId, cancellationToken)
                                  ?? throw ApiException.BadRequest($"invalid {param}: no file '{fileId}'.", param, "invalid_file"))
            content = await BinaryData.FromStreamAsync(stream, cancellationToken);
        var result = RftDatasetReader.Read(content.ToStream(), limits);
        if (result.Errors.Count > 0)
            throw ApiException.BadRequest($"invalid {param}: file '{fileId}': {result.Errors[0]} ({result.Errors[0].Code})", param, "invalid_file");
        if (result.Examples.Count == 0) throw ApiException.BadRequest($"invalid {param}: file '{fileId}' has no examples.", param, "invalid_file");
        return (content, result.Examples.Count);
    }
}
