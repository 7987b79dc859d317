using System.Text.Json;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.FunctionApp.Durable;
using RftFunctions.FunctionApp.Orchestrations;
using RftFunctions.FunctionApp.Triggers;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Files;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Functions.Jobs;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Functions.Triggers;
using RftFunctions.Testing;
using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>
/// The Function App's functions as the worker invokes them (the function class made from the invocation's services,
/// the binding values passed in), on the test Azurite with a real task hub client: the jobs services use the
/// invocation's durable client, an activity function runs the catalog's class against storage, and the blob triggers
/// register a dropped dataset once and start a checkpoint's evaluation once.
/// </summary>
public sealed class FunctionAppInvocationTests(StorageFixture storage) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServiceProvider _app = null!;
    private ServiceProvider _taskHub = null!;
    private DurableTaskClient _client = null!;

    public ValueTask InitializeAsync()
    {
        _app = FunctionAppTestServices.Build(storage);
        // The client a [DurableClient] binding hands the function: one for a task hub of its own on the same storage.
        _taskHub = new ServiceCollection().AddLogging()
            .AddTaskHub(storage.Account, new TaskHubOptions { HubName = storage.UniqueName("hub") }, runWorker: false)
            .BuildServiceProvider();
        _client = _taskHub.GetRequiredService<DurableTaskClient>();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _taskHub.DisposeAsync();
    }

    [Fact]
    public async Task The_job_service_of_an_invocation_starts_the_job_with_that_invocations_client()
    {
        await using var invocation = _app.CreateAsyncScope();
        invocation.ServiceProvider.GetRequiredService<InvocationDurableClient>().Set(_client);
        var jobs = invocation.ServiceProvider.GetRequiredService<TrainingJobService>();
        var spec = Spec();
        await jobs.CreateAsync(spec, cancellationToken: Ct);
        var instance = await _client.GetInstanceAsync(spec.JobId, Ct);
        Assert.NotNull(instance);
        Assert.Equal(RftOrchestrations.TrainingJob, instance.Name);
    }

    [Fact]
    public async Task Without_the_bindings_client_the_job_service_is_refused_with_a_reason()
    {
        await using var invocation = _app.CreateAsyncScope();
        var e = Assert.Throws<InvalidOperationException>(() => invocation.ServiceProvider.GetRequiredService<TrainingJobService>());
        Assert.Contains("[DurableClient]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_activity_function_runs_the_catalogs_class_against_storage()
    {
        var spec = Spec();
        await using (var invocation = _app.CreateAsyncScope())
        {
            invocation.ServiceProvider.GetRequiredService<InvocationDurableClient>().Set(_client);
            await invocation.ServiceProvider.GetRequiredService<TrainingJobService>().CreateAsync(spec, cancellationToken: Ct);
        }
        await using (var invocation = _app.CreateAsyncScope())
        {
            var functions = ActivatorUtilities.CreateInstance<TaskFunctions>(invocation.ServiceProvider);
            var status = await functions.RecordJobStatus(new JobStatusChange(spec.JobId, 42, JobStatus.Running, "running in the Function App"), spec.JobId);
            Assert.Equal(JobStatus.Running, status);
        }
        var store = _app.GetRequiredService<JobStore>();
        Assert.Equal(JobStatus.Running, (await store.GetAsync(spec.JobId, Ct))!.Status);
        var (events, _) = await store.ListEventsAsync(spec.JobId, null, 100, Ct);
        Assert.Contains(events, e => e.Message == "running in the Function App");
    }

    [Fact]
    public async Task A_dropped_dataset_becomes_one_file_of_its_project_however_often_it_is_delivered()
    {
        var options = _app.GetRequiredService<ApiOptions>();
        var container = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(options.DatasetsContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: Ct);
        var blob = container.GetBlobClient("dropzone/train.jsonl");
        await blob.UploadAsync(BinaryData.FromString("""{"messages":[{"role":"user","content":"Which gene?"}],"reference_answer":"BRCA1"}""" + "\n"), Ct);
        for (int delivery = 0; delivery < 2; delivery++)
        {
            await using var invocation = _app.CreateAsyncScope();
            await ActivatorUtilities.CreateInstance<BlobTriggerFunctions>(invocation.ServiceProvider).DatasetUpload(blob, Ct);
        }
        var files = await _app.GetRequiredService<FileStore>().ListAsync("dropzone", Ct);
        var file = Assert.Single(files);
        Assert.Equal("train.jsonl", file.Filename);
        var etag = (await blob.GetPropertiesAsync(cancellationToken: Ct)).Value.ETag;
        Assert.Equal(DatasetBlobTrigger.FileIdFor(blob.Name, etag), file.Id);
    }

    [Fact]
    public async Task A_checkpoint_manifest_starts_its_evaluation_once_and_other_manifests_none()
    {
        var jobs = _app.GetRequiredService<JobStorageOptions>();
        var container = storage.Account.CreateBlobServiceClient().GetBlobContainerClient(jobs.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: Ct);
        var jobId = "ftjob-" + storage.UniqueName("c");
        var manifest = container.GetBlobClient($"{jobId}/checkpoints/3/manifest.json");
        await manifest.UploadAsync(BinaryData.FromString("{}"), Ct);
        var trainerState = container.GetBlobClient($"{jobId}/steps/3/manifest.json");
        await trainerState.UploadAsync(BinaryData.FromString("{}"), Ct);
        for (int delivery = 0; delivery < 2; delivery++)
        {
            await using var invocation = _app.CreateAsyncScope();
            var functions = ActivatorUtilities.CreateInstance<BlobTriggerFunctions>(invocation.ServiceProvider);
            await functions.CheckpointManifest(manifest, _client, Ct);
            await functions.CheckpointManifest(trainerState, _client, Ct);
        }
        var instance = await _client.GetInstanceAsync(CheckpointEvaluation.InstanceId(jobId, 3), getInputsAndOutputs: true, Ct);
        Assert.NotNull(instance);
        Assert.Equal(CheckpointEvaluation.Orchestration, instance.Name);
        Assert.Equal(new CheckpointEvaluationInput(jobId, 3, JobBlobs.Checkpoint(jobId, 3)), instance.ReadInputAs<CheckpointEvaluationInput>());
        var all = new List<OrchestrationMetadata>();
        await foreach (var i in _client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = "ckpteval-" + jobId }).WithCancellation(Ct)) all.Add(i);
        Assert.Single(all);
    }

    [Fact]
    public void The_triggers_refuse_to_start_when_the_settings_rename_their_containers()
    {
        // The test app has a storage prefix, so its datasets container is not the one the trigger path names.
        var e = Assert.Throws<InvalidOperationException>(() => BlobTriggerFunctions.EnsureWatchedContainers(_app));
        Assert.Contains("Rft__StoragePrefix", e.Message, StringComparison.Ordinal);
        using var plain = new ServiceCollection()
            .AddSingleton(new ApiOptions())
            .AddSingleton(new JobStorageOptions())
            .BuildServiceProvider();
        BlobTriggerFunctions.EnsureWatchedContainers(plain);
    }

    private TrainingJobSpec Spec() => new()
    {
        JobId = "ftjob-" + storage.UniqueName("j"),
        BaseModel = "tiny",
        Project = "funcapp",
        TrainingBlob = "train.jsonl",
        Grader = JsonDocument.Parse("""{"type":"string_check","name":"exact","input":"{{sample.output_text}}","reference":"{{item.reference_answer}}","operation":"eq"}""").RootElement.Clone(),
        Config = new RftTrainingConfig(),
    };
}
