using System.Globalization;
using RftFunctions.Durable;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// One RFT job: ValidateJob, then per step Rollout fan-out → Grade fan-out → PolicyUpdate → (every eval_interval
/// steps and at the end) Validation, then the step's bookkeeping (RecordMetrics, Checkpoint), then Finalize.
/// Deterministic: the prompts of a step are <see cref="PromptSchedule"/>(seed).ForStep(step) computed here, event ids
/// come from a counter carried in the input. The bookkeeping of step k runs while step k+1 samples (it only reads
/// what step k wrote), so it costs no extra round trip on the critical path; it is awaited before any status change.
/// Pause, resume and cancel arrive as the <see cref="ControlEvent"/> external event and are honoured between steps;
/// a compute budget (<see cref="ComputeBudget"/>) pauses the job by itself. ContinueAsNew every
/// <c>StepsPerGeneration</c> steps bounds history.
/// </summary>
public sealed class TrainingJobOrchestrator : TaskOrchestrator<TrainingJobState, TrainingJobOutcome>
{
    /// <summary>The external event carrying a <see cref="ControlCommand"/> payload.</summary>
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
        var used = state.Used ?? new ComputeUsage();
        var budget = state.Budget ?? plan.Budget;
        using var cancelWait = new CancellationTokenSource();
        var control = new ControlChannel(context, cancelWait.Token);
        int step = state.NextStep;
        int generationEnd = Math.Min(plan.TotalSteps, state.NextStep + Math.Max(1, plan.StepsPerGeneration));
        Task bookkeeping = Task.CompletedTask;
        try
        {
            for (; step < generationEnd; step++)
            {
                if (control.HasCommand)
                {
                    await bookkeeping;
                    var outcome = await HonourAsync(control, await control.NextAsync(), null, SetStatus);
                    if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
                    budget = outcome.Budget ?? budget;
                }
                var done = await RunStepAsync(context, state.JobId, plan, schedule, step, bookkeeping, NextSequence);
                bookkeeping = done.Bookkeeping;
                used = used.Add(done.Tokens, done.Seconds);
                if (step + 1 < plan.TotalSteps && budget?.Exhausted(used) is { } why)
                {
                    await bookkeeping;
                    var message = $"Compute budget reached after step {step + 1}: {why}. The job is paused; resume continues with one more allowance of the same size, or resume with a higher budget";
                    var outcome = await HonourAsync(control, new ControlCommand(ControlCommand.Pause), message, SetStatus);
                    if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step + 1);
                    budget = outcome.Budget ?? budget!.Extend(used, plan.Budget ?? budget!);
                }
            }
            await bookkeeping;
            if (control.HasCommand && step < plan.TotalSteps)
            {
                var outcome = await HonourAsync(control, await control.NextAsync(), null, SetStatus);
                if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
                budget = outcome.Budget ?? budget;
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
            context.ContinueAsNew(new TrainingJobState(state.JobId, plan, step, sequence, used, budget));
            return new TrainingJobOutcome(JobStatus.Running, null, step);
        }
        var model = await context.CallActivityAsync<string>(RftOrchestrations.Finalize,
            new FinalizeInput(state.JobId, NextSequence(), JobBlobs.State(state.JobId, plan.TotalSteps - 1), plan.TotalSteps), RftOrchestrations.Retry);
        return new TrainingJobOutcome(JobStatus.Succeeded, model, plan.TotalSteps);
    }

    /// <summary>What honouring a control command decided.</summary>
    private sealed record ControlOutcome(bool Cancelled, ComputeBudget? Budget);

    /// <summary>
    /// Pause waits (durably) for resume or cancel; a resume may carry a new budget. <paramref name="pauseMessage"/>
    /// replaces the plain pause message (the budget says why it paused).
    /// </summary>
    private static async Task<ControlOutcome> HonourAsync(ControlChannel control, ControlCommand command, string? pauseMessage,
        Func<string, string, string?, int?, Task> setStatus)
    {
        while (true)
        {
            switch (command.Command)
            {
                case ControlCommand.Cancel:
                    await setStatus(JobStatus.Cancelled, "Fine-tuning job cancelled", null, null);
                    return new ControlOutcome(true, null);
                case ControlCommand.Pause:
                    await setStatus(JobStatus.Paused, pauseMessage ?? "Fine-tuning job paused", null, null);
                    while (true)
                    {
                        command = await control.NextAsync();
                        if (command.Command is ControlCommand.Resume or ControlCommand.Cancel) break;
                    }
                    if (command.Command == ControlCommand.Resume)
                    {
                        var raised = command.Budget is null ? "" : " with a new compute budget";
                        await setStatus(JobStatus.Running, "Fine-tuning job resumed" + raised, null, null);
                        return new ControlOutcome(false, command.Budget);
                    }
                    break;
                default:
                    return new ControlOutcome(false, null);
            }
        }
    }

    /// <summary>
    /// The job's control events through exactly one outstanding waiter: with two, an event could complete the one
    /// nobody awaits (e.g. a resume swallowed while the budget holds the job).
    /// </summary>
    private sealed class ControlChannel(TaskOrchestrationContext context, CancellationToken cancellation)
    {
        private Task<string> _pending = context.WaitForExternalEvent<string>(ControlEvent, cancellation);

        /// <summary>True when a command has arrived and not been taken.</summary>
        public bool HasCommand => _pending.IsCompletedSuccessfully;

        /// <summary>The next command (waits durably for it).</summary>
        public async Task<ControlCommand> NextAsync()
        {
            var payload = await _pending;
            _pending = context.WaitForExternalEvent<string>(ControlEvent, cancellation);
            return ControlCommand.Parse(payload);
        }
    }

    /// <summary>A finished step: its pending bookkeeping and the compute it used.</summary>
    private sealed record StepDone(Task Bookkeeping, long Tokens, double Seconds);

    private static async Task<StepDone> RunStepAsync(TaskOrchestrationContext context, string jobId, JobPlan plan, PromptSchedule schedule, int step,
        Task previousBookkeeping, Func<long> nextSequence)
    {
        var prompts = schedule.ForStep(step).ExampleIndices;
        var policy = step == 0 ? null : JobBlobs.State(jobId, step - 1);
        var t0 = context.CurrentUtcDateTime;
        var rolloutTasks = prompts.Chunk(plan.RolloutShardPrompts).Select((indices, shard) => context.CallActivityAsync<RolloutResult>(
            RftOrchestrations.Rollout, new RolloutInput(jobId, step, shard, Split.Train, indices, plan.SamplesPerPrompt, policy), RftOrchestrations.Retry)).ToList();
        await previousBookkeeping;
        var rollouts = await Task.WhenAll(rolloutTasks);
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
        double sampling = rollouts.Max(r => r.Seconds), grading = grades.Max(g => g.Seconds);
        double eval = validation is null ? 0 : validation.SamplingSeconds + validation.GradingSeconds;
        var timing = new StepTiming((t1 - t0).TotalSeconds, (t2 - t1).TotalSeconds, (t3 - t2).TotalSeconds, (t4 - t3).TotalSeconds, (t4 - t0).TotalSeconds,
            sampling + grading + update.Seconds + eval, sampling, grading, update.Seconds, eval);
        var report = new StepReport(jobId, nextSequence(), step + 1, plan.TotalSteps, train, update.Metrics, validation, timing,
            update.Metrics.Skipped ? nextSequence() : null);
        var checkpoint = validation is null ? null
            : new CheckpointInput(jobId, nextSequence(), step, update.StatePrefix, validation, train.RewardMean);
        return new StepDone(BookkeepingAsync(context, report, checkpoint), update.Metrics.Tokens, (t4 - t0).TotalSeconds);
    }

    private static async Task BookkeepingAsync(TaskOrchestrationContext context, StepReport report, CheckpointInput? checkpoint)
    {
        await context.CallActivityAsync(RftOrchestrations.RecordMetrics, report, RftOrchestrations.Retry);
        if (checkpoint is not null) await context.CallActivityAsync(RftOrchestrations.Checkpoint, checkpoint, RftOrchestrations.Retry);
    }
}
