using System.Text.Json;
using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Model;
using RftFunctions.Training.Checkpoints;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// One GRPO-family update on the step's graded rollouts, by the job's single trainer in this process, followed by the
/// trainer state (policy v+1, optimiser moments, data position) written to <c>steps/{step}/state</c> with
/// manifest.json last. The trainer is cached by job id; when this process has no trainer at exactly the previous step
/// (first call, crash, another worker ran the last step) it reloads from the previous step's stored state, so the
/// numbers are those of an uninterrupted run.
/// </summary>
public sealed class PolicyUpdateActivity(JobWorkspace workspace, JobStorageOptions jobOptions, WorkerShutdown shutdown) : TaskActivity<PolicyUpdateInput, PolicyUpdateResult>
{
    /// <inheritdoc />
    public override async Task<PolicyUpdateResult> RunAsync(TaskActivityContext context, PolicyUpdateInput input)
    {
        var ct = shutdown.Token;
        await using var cancel = await JobCancellation.WatchAsync(workspace.Store, input.JobId, ct);
        var container = workspace.Store.Container;
        var prefix = JobBlobs.State(input.JobId, input.Step);
        var hash = JobBlobs.HashOf(input);
        var done = await TrainerStateStore.ReadManifestAsync(container, prefix, ct);
        if (done is not null && done.InputHash == hash && done.Metrics is not null)
            return new PolicyUpdateResult(prefix, JsonSerializer.Deserialize<PolicyUpdateMetrics>(done.Metrics)!, 0);

        var started = DateTime.UtcNow;
        var job = await workspace.GetJobAsync(input.JobId, ct);
        var config = job.Spec.Config;
        var samples = new List<RolloutSample>();
        for (int i = 0; i < input.RolloutBlobs.Count; i++)
        {
            var rollout = await JobBlobs.ReadAsync<StoredRollout>(container, input.RolloutBlobs[i], ct);
            var grades = await JobBlobs.ReadAsync<StoredGrades>(container, input.GradeBlobs[i], ct);
            if (grades.Grades.Count != rollout.Samples.Count)
                throw new InvalidDataException($"{input.GradeBlobs[i]}: {grades.Grades.Count} grades for {rollout.Samples.Count} samples");
            samples.AddRange(rollout.Samples.Select((s, k) => new RolloutSample(s.PromptIds, s.CompletionIds, s.LogProbs, grades.Grades[k].Reward, s.Truncated)));
        }
        var batch = DynamicBatch.Select(samples, config, input.RefillRounds);

        // Refused before the trainer is loaded or anything allocated: a step that cannot fit fails its job, not the worker.
        var shape = ModelConfig.Load(Path.Combine(job.Spec.BaseModelDirectory, "config.json"));
        var microBatch = (batch.Samples.Count + config.GradientAccumulationSteps - 1) / config.GradientAccumulationSteps;
        StepMemoryGuard.Check(jobOptions, $"Step {input.Step + 1}'s policy update",
            StepMemoryEstimate.PolicyUpdate(shape, microBatch, batch.Samples.Max(s => s.PromptIds.Count + s.CompletionIds.Count),
                StepMemoryEstimate.TrainableParameters(shape, config)),
            "raise gradient_accumulation_steps, or lower max_completion_tokens, batch_size, compute_multiplier or lora_rank");

        var slot = workspace.TrainerOf(input.JobId);
        using var turn = await workspace.TakeDeviceTurnAsync(ct);
        await slot.Lock.WaitAsync(ct);
        try
        {
            if (slot.CompletedSteps != input.Step) await LoadAsync(slot, job, input, ct);
            PolicyUpdateMetrics metrics;
            try
            {
                metrics = batch.Describe(cancel.Run(token => slot.Trainer!.UpdateCancellable(batch.Samples, input.Step, token)));
            }
            catch
            {
                slot.Reset();
                throw;
            }
            slot.CompletedSteps = input.Step + 1;
            await TrainerStateStore.SaveAsync(container, prefix, slot.Policy!, slot.Trainer!, config.Mode, new TrainerStateManifest
            {
                JobId = input.JobId,
                CompletedSteps = input.Step + 1,
                Seed = config.Seed,
                DataPosition = input.Step + 1,
                PolicyFormat = "",
                InputHash = hash,
                Metrics = JsonSerializer.Serialize(metrics),
            }, ct);
            return new PolicyUpdateResult(prefix, metrics, (DateTime.UtcNow - started).TotalSeconds);
        }
        catch
        {
            // A half-saved state or an exception mid-update leaves the in-memory trainer ahead of storage: reload next time.
            if (slot.CompletedSteps == input.Step + 1) slot.Reset();
            throw;
        }
        finally
        {
            slot.Lock.Release();
        }
    }

    private async Task LoadAsync(TrainerSlot slot, JobContext job, PolicyUpdateInput input, CancellationToken ct)
    {
        slot.Reset();
        var container = workspace.Store.Container;
        if (input.Step == 0)
        {
            slot.Policy = ModelFolder.Load(job.Spec.BaseModelDirectory, workspace.Device);
            slot.Reference = LoadReference(job);
            slot.Trainer = new PolicyTrainer(slot.Policy, job.Spec.Config, input.TotalSteps, slot.Reference);
        }
        else
        {
            var previous = JobBlobs.State(input.JobId, input.Step - 1);
            var manifest = await TrainerStateStore.ReadManifestAsync(container, previous, ct)
                ?? throw new InvalidOperationException($"cannot run step {input.Step}: the trainer state of step {input.Step - 1} ({previous}) is missing");
            slot.Policy = await TrainerStateStore.LoadPolicyAsync(container, previous, manifest, job.Spec.BaseModelDirectory, ct, workspace.Device);
            slot.Reference = LoadReference(job);
            slot.Trainer = new PolicyTrainer(slot.Policy, job.Spec.Config, input.TotalSteps, slot.Reference);
            await TrainerStateStore.LoadOptimizerAsync(container, previous, slot.Trainer, ct);
        }
        slot.CompletedSteps = input.Step;
    }

    // KL is measured against the policy the job started from: the base model (for LoRA it is the base without the
    // adapter, for full fine-tuning the untouched weights). Frozen and only needed when beta > 0.
    private DecoderModel? LoadReference(JobContext job)
    {
        if (job.Spec.Config.Beta <= 0) return null;
        var reference = ModelFolder.Load(job.Spec.BaseModelDirectory, workspace.Device);
        foreach (var parameter in reference.parameters()) parameter.requires_grad = false;
        reference.eval();
        return reference;
    }
}
