using System.Globalization;
using RftFunctions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// One RFT job: ValidateJob, then per step Rollout fan-out → Grade fan-out → PolicyUpdate → (every eval_interval
/// steps and at the end) Validation + Checkpoint → RecordMetrics, then Finalize. Deterministic: the prompts of a step
/// are <see cref="PromptSchedule"/>(seed).ForStep(step) computed here, event ids come from a counter carried in the
/// input. Pause, resume and cancel arrive as the <see cref="ControlEvent"/> external event and are honoured between
/// steps; ContinueAsNew every <c>StepsPerGeneration</c> steps bounds history.
/// </summary>
public sealed class TrainingJobOrchestrator : TaskOrchestrator<TrainingJobState, TrainingJobOutcome>
{
    /// <summary>The external event carrying "pause", "resume" or "cancel".</summary>
    public const string ControlEvent = "control";

    /// <inheritdoc />
    public override async Task<TrainingJobOutcome> RunAsync(TaskOrchestrationContext context, TrainingJobState state)
    {
        var sequence = state.EventSequence;
        long NextSequence() => sequence++;
        Task SetStatus(string status, string message, string? code = null, int? total = null) =>
            context.CallActivityAsync(RftOrchestrations.RecordJobStatus, new JobStatusChange(state.JobId, NextSequence(), status, message, code, code is null ? null : message, total), RftOrchestrations.Retry);

        var plan = state.Plan;
        if (plan is null)
        {
            await SetStatus(JobStatus.ValidatingFiles, "Validating training file, grader and model");
            try
            {
                plan = await context.CallActivityAsync<JobPlan>(RftOrchestrations.ValidateJob, state.JobId);
            }
            catch (TaskFailedException ex)
            {
                await SetStatus(JobStatus.Failed, "Validation failed: " + ex.FailureDetails.ErrorMessage, "invalid_training_file");
                return new TrainingJobOutcome(JobStatus.Failed, null, 0);
            }
            await SetStatus(JobStatus.Running, string.Create(CultureInfo.InvariantCulture, $"Fine-tuning job started: {plan.TotalSteps} steps"), total: plan.TotalSteps);
        }

        var schedule = new PromptSchedule(plan.TrainExamples, plan.PromptsPerStep, plan.Epochs, plan.Seed);
        using var cancelWait = new CancellationTokenSource();
        var control = context.WaitForExternalEvent<string>(ControlEvent, cancelWait.Token);
        int step = state.NextStep;
        int generationEnd = Math.Min(plan.TotalSteps, state.NextStep + Math.Max(1, plan.StepsPerGeneration));
        try
        {
            for (; step < generationEnd; step++)
            {
                if (control.IsCompletedSuccessfully)
                {
                    if (await HonourAsync(context, control.Result, SetStatus)) return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
                    control = context.WaitForExternalEvent<string>(ControlEvent, cancelWait.Token);
                }
                await RunStepAsync(context, state.JobId, plan, schedule, step, NextSequence);
            }
            if (control.IsCompletedSuccessfully && step < plan.TotalSteps)
            {
                if (await HonourAsync(context, control.Result, SetStatus)) return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
            }
        }
        catch (TaskFailedException ex)
        {
            await SetStatus(JobStatus.Failed, string.Create(CultureInfo.InvariantCulture, $"Step {step + 1} failed: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}"), "training_error");
            return new TrainingJobOutcome(JobStatus.Failed, null, step);
        }
        finally
        {
            // A pending waiter must not swallow an event meant for the next generation.
            cancelWait.Cancel();
        }

        if (step < plan.TotalSteps)
        {
            context.ContinueAsNew(new TrainingJobState(state.JobId, plan, step, sequence));
            return new TrainingJobOutcome(JobStatus.Running, null, step);
        }
        var model = await context.CallActivityAsync<string>(RftOrchestrations.Finalize,
            new FinalizeInput(state.JobId, NextSequence(), JobBlobs.State(state.JobId, plan.TotalSteps - 1), plan.TotalSteps), RftOrchestrations.Retry);
        return new TrainingJobOutcome(JobStatus.Succeeded, model, plan.TotalSteps);
    }

    /// <summary>Pause waits (durably) for resume or cancel; returns true when the job was cancelled.</summary>
    private static async Task<bool> HonourAsync(TaskOrchestrationContext context, string command, Func<string, string, string?, int?, Task> setStatus)
    {
        while (true)
        {
            switch (command.Trim().ToLowerInvariant())
            {
                case "cancel":
                    await setStatus(JobStatus.Cancelled, "Fine-tuning job cancelled", null, null);
                    return true;
                case "pause":
                    await setStatus(JobStatus.Paused, "Fine-tuning job paused", null, null);
                    command = await context.WaitForExternalEvent<string>(ControlEvent);
                    if (command.Trim().Equals("resume", StringComparison.OrdinalIgnoreCase))
                    {
                        await setStatus(JobStatus.Running, "Fine-tuning job resumed", null, null);
                        return false;
                    }
                    break;
                default:
                    return false;
            }
        }
    }

    private static async Task RunStepAsync(TaskOrchestrationContext context, string jobId, JobPlan plan, PromptSchedule schedule, int step, Func<long> nextSequence)
    {
        var prompts = schedule.ForStep(step).ExampleIndices;
        var policy = step == 0 ? null : JobBlobs.State(jobId, step - 1);
        var t0 = context.CurrentUtcDateTime;
        var rollouts = await Task.WhenAll(prompts.Chunk(plan.RolloutShardPrompts).Select((indices, shard) => context.CallActivityAsync<RolloutResult>(
            RftOrchestrations.Rollout, new RolloutInput(jobId, step, shard, Split.Train, indices, plan.SamplesPerPrompt, policy), RftOrchestrations.Retry)));
        var t1 = context.CurrentUtcDateTime;
        var grades = await Task.WhenAll(rollouts.Select((r, shard) => context.CallActivityAsync<GradeResult>(
            RftOrchestrations.Grade, new GradeInput(jobId, step, shard, Split.Train, r.Blob), RftOrchestrations.Retry)));
        var t2 = context.CurrentUtcDateTime;
        var update = await context.CallActivityAsync<PolicyUpdateResult>(RftOrchestrations.PolicyUpdate,
            new PolicyUpdateInput(jobId, step, plan.TotalSteps, [.. rollouts.Select(r => r.Blob)], [.. grades.Select(g => g.Blob)]), RftOrchestrations.Retry);
        var t3 = context.CurrentUtcDateTime;
        bool validate = (step + 1) % Math.Max(1, plan.EvalInterval) == 0 || step + 1 == plan.TotalSteps;
        ValidationResult? validation = null;
        if (validate)
            validation = await context.CallSubOrchestratorAsync<ValidationResult>(RftOrchestrations.Validation, new ValidationInput(jobId, step, update.StatePrefix, plan));
        var t4 = context.CurrentUtcDateTime;
        var train = GradeTotals.Of(grades);
        double inside = rollouts.Max(r => r.Seconds) + grades.Max(g => g.Seconds) + update.Seconds
            + (validation is null ? 0 : validation.SamplingSeconds + validation.GradingSeconds);
        var timing = new StepTiming((t1 - t0).TotalSeconds, (t2 - t1).TotalSeconds, (t3 - t2).TotalSeconds, (t4 - t3).TotalSeconds, (t4 - t0).TotalSeconds, inside);
        await context.CallActivityAsync(RftOrchestrations.RecordMetrics, new StepReport(jobId, nextSequence(), step + 1, plan.TotalSteps, train, update.Metrics, validation, timing), RftOrchestrations.Retry);
        if (validation is not null)
            await context.CallActivityAsync(RftOrchestrations.Checkpoint, new CheckpointInput(jobId, nextSequence(), step, update.StatePrefix, validation, train.RewardMean), RftOrchestrations.Retry);
    }
}
