using System.Globalization;
using Microsoft.DurableTask;
using RftFunctions.Functions.Jobs;
using RftFunctions.Training.Config;
using RftFunctions.Training.Datasets;
using RftFunctions.Training.Grpo;
using RftFunctions.Training.Monitors;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// One RFT job: ValidateJob, then per step RolloutAndGrade per shard → PolicyUpdate → (every eval_interval steps and
/// at the end) Validation, then the step's bookkeeping (RecordMetrics, Checkpoint), then Finalize.
/// Deterministic: the prompts of a step are <see cref="PromptSchedule"/>(seed).ForStep(step) computed here, event
/// sequences are time-ordered on the orchestration's clock and carried in the input. The validation and bookkeeping of
/// step k run while step k+1 samples and trains (they only read what step k wrote, and step k+1 samples from the same
/// policy), so they cost no round trip on the critical path; they are awaited at the end of step k+1, before any
/// status change and before Finalize or ContinueAsNew.
/// Pause, resume and cancel arrive as the <see cref="ControlEvent"/> external event and are honoured between steps
/// (and after the last step, before Finalize: a job paused during its last step waits paused and resume finalizes it);
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
        // Time-ordered (the orchestration's replay-safe clock), so the job's events interleave with its checkpoint
        // evaluations' by time in the events list.
        long NextSequence() => JobStore.NextEventSequence(ref sequence, context.CurrentUtcDateTime);
        Task SetStatus(string status, string message, string? code = null, int? total = null) =>
            context.CallActivityAsync(RftOrchestrations.RecordJobStatus, new JobStatusChange(state.JobId, NextSequence(), status, message, code, code is null ? null : message, total), RftOrchestrations.Retry);

        var plan = state.Plan;
        // Status writes that nothing on the critical path needs run alongside the work (the job row already says
        // validating_files; events keep their order by sequence): each is awaited before the next status change.
        Task bookkeeping = Task.CompletedTask;
        if (plan is null)
        {
            var validating = SetStatus(JobStatus.ValidatingFiles, "Validating training file, grader and model");
            try
            {
                plan = await context.CallActivityAsync<JobPlan>(RftOrchestrations.ValidateJob, state.JobId);
            }
            catch (TaskFailedException ex)
            {
                await validating;
                await SetStatus(JobStatus.Failed, "Validation failed: " + ex.FailureDetails.ErrorMessage, "invalid_training_file");
                return new TrainingJobOutcome(JobStatus.Failed, null, 0);
            }
            await validating;
            bookkeeping = StartAsync(plan, SetStatus, NextSequence, state.JobId, context);
        }

        var schedule = new PromptSchedule(plan.TrainExamples, plan.PromptsPerStep, plan.Epochs, plan.Seed);
        var used = state.Used ?? new ComputeUsage();
        var budget = state.Budget ?? plan.Budget;
        var monitors = new JobMonitors(state.Monitors ?? MonitorState.Empty, plan.Monitors ?? new MonitorPolicy());
        using var cancelWait = new CancellationTokenSource();
        var control = new ControlChannel(context, cancelWait.Token);
        int step = state.NextStep;
        int generationEnd = Math.Min(plan.TotalSteps, state.NextStep + Math.Max(1, plan.StepsPerGeneration));
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
                var done = await RunStepAsync(context, state.JobId, plan, schedule, step, bookkeeping, NextSequence, monitors);
                bookkeeping = done.Bookkeeping;
                used = used.Add(done.Tokens, done.Seconds);
                if (step + 1 < plan.TotalSteps && budget?.Exhausted(used) is { } why)
                {
                    await bookkeeping;
                    var message = $"Compute budget reached after step {step + 1}: {why}. The job is paused; resume continues with one more allowance of the same size, or resume with a higher budget";
                    // One pause for both reasons: a monitor's pending pause would otherwise pause again right after resume.
                    if (monitors.PauseRequested) message += ". Also: " + monitors.TakePauseMessage();
                    var outcome = await HonourAsync(control, new ControlCommand(ControlCommand.Pause), message, SetStatus);
                    if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step + 1);
                    budget = outcome.Budget ?? budget!.Extend(used, plan.Budget ?? budget!);
                }
                // A monitor whose policy is pause fired in a step's bookkeeping (the previous step's, which this step
                // awaited): the job pauses between steps like any pause.
                if (step + 1 < plan.TotalSteps && monitors.PauseRequested)
                {
                    var outcome = await PauseForMonitorsAsync(control, monitors, bookkeeping, SetStatus, null);
                    if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step + 1);
                    budget = outcome.Budget ?? budget;
                }
            }
            await bookkeeping;
            if (monitors.PauseRequested)
            {
                var outcome = await PauseForMonitorsAsync(control, monitors, bookkeeping, SetStatus, step == plan.TotalSteps ? "; the job had run its last step, so resume finalizes it" : null);
                if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
                budget = outcome.Budget ?? budget;
            }
            // A command that arrived during the generation's last step counts too; after the job's last step it is
            // honoured before Finalize: a job paused then waits paused (resume finalizes it), a cancelled one ends
            // without a fine-tuned model.
            if (control.HasCommand)
            {
                var last = step == plan.TotalSteps ? "Fine-tuning job paused after its last step; resume finalizes it" : null;
                var outcome = await HonourAsync(control, await control.NextAsync(), last, SetStatus);
                if (outcome.Cancelled) return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
                budget = outcome.Budget ?? budget;
            }
        }
        catch (TaskFailedException ex)
        {
            // The status writes in flight land first, so the job row ends failed.
            try
            {
                await bookkeeping;
            }
            catch (TaskFailedException)
            {
                // Reported by the failure below.
            }
            // A step stopped by cancel (JobCancellation): its event is in flight or already here; finish the cancel.
            if (JobCancellation.IsCancellation(ex.FailureDetails)) return await FinishCancelAsync(control, SetStatus, step);
            await SetStatus(JobStatus.Failed, string.Create(CultureInfo.InvariantCulture, $"Step {step + 1} failed: {ex.FailureDetails.ErrorType}: {ex.FailureDetails.ErrorMessage}"), "training_error");
            return new TrainingJobOutcome(JobStatus.Failed, null, step);
        }
        catch (Exception ex) when (ex is not TaskFailedException)
        {
            // A fault in the orchestration itself (not in an activity): the user sees it in the job's events, and the
            // instance fails too (the engine never retries an orchestrator's exception), so nothing is left running.
            await SetStatus(JobStatus.Failed, string.Create(CultureInfo.InvariantCulture, $"Step {step + 1} failed in the orchestration: {ex.GetType().FullName}: {ex.Message}"), "orchestration_error");
            throw;
        }
        finally
        {
            // A pending waiter must not swallow an event meant for the next generation.
            cancelWait.Cancel();
        }

        if (step < plan.TotalSteps)
        {
            context.ContinueAsNew(new TrainingJobState(state.JobId, plan, step, sequence, used, budget, monitors.State));
            return new TrainingJobOutcome(JobStatus.Running, null, step);
        }
        var model = await context.CallActivityAsync<string>(RftOrchestrations.Finalize,
            new FinalizeInput(state.JobId, NextSequence(), JobBlobs.State(state.JobId, plan.TotalSteps - 1), plan.TotalSteps), RftOrchestrations.Retry);
        return new TrainingJobOutcome(JobStatus.Succeeded, model, plan.TotalSteps);
    }

    /// <summary>Waits for the cancel whose marker stopped a running step (commands before it are moot) and ends the job.</summary>
    private static async Task<TrainingJobOutcome> FinishCancelAsync(ControlChannel control, Func<string, string, string?, int?, Task> setStatus, int step)
    {
        while ((await control.NextAsync()).Command != ControlCommand.Cancel)
        {
        }
        await setStatus(JobStatus.Cancelled, "Fine-tuning job cancelled", null, null);
        return new TrainingJobOutcome(JobStatus.Cancelled, null, step);
    }

    /// <summary>Pauses for the monitors' request once the bookkeeping in flight has recorded its events (and maybe added
    /// to the request); resume or cancel as for any pause.</summary>
    private static async Task<ControlOutcome> PauseForMonitorsAsync(ControlChannel control, JobMonitors monitors, Task bookkeeping,
        Func<string, string, string?, int?, Task> setStatus, string? suffix)
    {
        await bookkeeping;
        return await HonourAsync(control, new ControlCommand(ControlCommand.Pause), monitors.TakePauseMessage() + suffix, setStatus);
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
        Task previousBookkeeping, Func<long> nextSequence, JobMonitors monitors)
    {
        var prompts = schedule.ForStep(step).ExampleIndices;
        var policy = step == 0 ? null : JobBlobs.State(jobId, step - 1);
        var t0 = context.CurrentUtcDateTime;
        var shards = (await SampleRoundAsync(context, jobId, plan, step, prompts, policy, firstShard: 0, firstPosition: 0)).ToList();
        // DAPO dynamic sampling: while the batch lacks groups with signal, refill from prompts that are a pure function
        // of (seed, step, round), at most DynamicSamplingMaxRounds rounds. Deterministic on replay: each decision
        // depends only on activity results that the history holds.
        int rounds = 0, position = prompts.Count;
        if (plan.DynamicSampling)
        {
            int GroupsWithSignal() => shards.Sum(s => (s.Grade.Count / plan.SamplesPerPrompt) - s.Grade.UniformGroups);
            int SampledGroups() => shards.Sum(s => s.Grade.Count / plan.SamplesPerPrompt);
            while (GroupsWithSignal() < plan.PromptsPerStep && rounds < plan.DynamicSamplingMaxRounds)
            {
                rounds++;
                int size = DynamicSampling.RefillSize(plan.PromptsPerStep - GroupsWithSignal(), SampledGroups(), GroupsWithSignal(), plan.PromptsPerStep);
                var refill = schedule.Refill(step, rounds, size);
                shards.AddRange(await SampleRoundAsync(context, jobId, plan, step, refill, policy, firstShard: shards.Count, firstPosition: position));
                position += refill.Count;
            }
        }
        var rollouts = shards.Select(s => s.Rollout).ToList();
        var grades = shards.Select(s => s.Grade).ToList();
        var t1 = shards.Max(s => s.SampledAt);
        var t2 = context.CurrentUtcDateTime;
        var update = await context.CallActivityAsync<PolicyUpdateResult>(RftOrchestrations.PolicyUpdate,
            new PolicyUpdateInput(jobId, step, plan.TotalSteps, [.. rollouts.Select(r => r.Blob)], [.. grades.Select(g => g.Blob)], rounds), RftOrchestrations.Retry);
        var t3 = context.CurrentUtcDateTime;
        // The previous step's bookkeeping (its validation included) ran alongside this whole step; it ends before
        // this step's starts, so at most one is outstanding and events and checkpoints keep step order.
        await previousBookkeeping;
        bool validate = (step + 1) % Math.Max(1, plan.EvalInterval) == 0 || step + 1 == plan.TotalSteps;
        // Validation of this policy runs alongside the next step, which samples from the same policy: the device
        // always has work queued instead of waiting out the sub-orchestration's start and completion round trips.
        var validating = validate
            ? context.CallSubOrchestratorAsync<ValidationResult>(RftOrchestrations.Validation, new ValidationInput(jobId, step, update.StatePrefix, plan))
            : null;
        var draft = new StepDraft(jobId, step, plan.TotalSteps, GradeTotals.Of(grades), update, rollouts.Max(r => r.Seconds), grades.Max(g => g.Seconds), t0, t1, t2, t3,
            nextSequence(), update.Metrics.Skipped ? nextSequence() : null, validate ? nextSequence() : null);
        // The budget counts the step's own critical path; its validation's time falls inside the next step's.
        return new StepDone(BookkeepingAsync(context, draft, validating, monitors, nextSequence), update.Metrics.Tokens, (t3 - t0).TotalSeconds);
    }

    /// <summary>What a step's bookkeeping needs besides its validation (sequences allocated in step order).</summary>
    private sealed record StepDraft(string JobId, int Step, int TotalSteps, GradeTotals Train, PolicyUpdateResult Update, double SamplingSeconds, double GradingSeconds,
        DateTime T0, DateTime T1, DateTime T2, DateTime T3, long ReportSequence, long? WarningSequence, long? CheckpointSequence);

    /// <summary>Waits for the step's validation (if any), then records its metrics event and checkpoint.</summary>
    private static async Task BookkeepingAsync(TaskOrchestrationContext context, StepDraft d, Task<ValidationResult>? validating, JobMonitors monitors,
        Func<long> nextSequence)
    {
        var validation = validating is null ? null : await validating;
        var t4 = validating is null ? d.T3 : context.CurrentUtcDateTime;
        double eval = validation is null ? 0 : validation.SamplingSeconds + validation.GradingSeconds;
        var timing = new StepTiming((d.T1 - d.T0).TotalSeconds, (d.T2 - d.T1).TotalSeconds, (d.T3 - d.T2).TotalSeconds, (t4 - d.T3).TotalSeconds, (t4 - d.T0).TotalSeconds,
            d.SamplingSeconds + d.GradingSeconds + d.Update.Seconds + eval, d.SamplingSeconds, d.GradingSeconds, d.Update.Seconds, eval);
        // The health monitors read the step once its validation is in; their events follow its metrics event.
        var firings = monitors.Watch(d.Step + 1, d.Train, d.Update.Metrics, validation).Select(f => new SequencedFiring(nextSequence(), f)).ToList();
        var report = new StepReport(d.JobId, d.ReportSequence, d.Step + 1, d.TotalSteps, d.Train, d.Update.Metrics, validation, timing, d.WarningSequence,
            firings.Count == 0 ? null : firings);
        // The two write different records (events and job row; checkpoint files, rows and models), so they run together.
        var metrics = context.CallActivityAsync(RftOrchestrations.RecordMetrics, report, RftOrchestrations.Retry);
        if (validation is not null && d.CheckpointSequence is { } sequence)
        {
            await context.CallActivityAsync(RftOrchestrations.Checkpoint,
                new CheckpointInput(d.JobId, sequence, d.Step, d.Update.StatePrefix, validation, d.Train.RewardMean), RftOrchestrations.Retry);
        }
        await metrics;
    }

    /// <summary>Samples and grades <paramref name="prompts"/> in shards numbered from <paramref name="firstShard"/>, the
    /// prompts at positions from <paramref name="firstPosition"/> of the step (their sampling seeds depend on it).</summary>
    private static Task<GradedShard[]> SampleRoundAsync(TaskOrchestrationContext context, string jobId, JobPlan plan, int step, IReadOnlyList<int> prompts,
        string? policy, int firstShard, int firstPosition) =>
        Task.WhenAll(prompts.Chunk(plan.RolloutShardPrompts).Select((indices, k) => SampleAndGradeAsync(context,
            new RolloutInput(jobId, step, firstShard + k, Split.Train, indices, plan.SamplesPerPrompt, policy, firstPosition + (k * plan.RolloutShardPrompts)))));

    /// <summary>The running status, then one warn event per questionable setting (top_p &lt; 1, LoRA dropout), so a
    /// user reading the job's events sees them at the start.</summary>
    private static async Task StartAsync(JobPlan plan, Func<string, string, string?, int?, Task> setStatus, Func<long> nextSequence, string jobId,
        TaskOrchestrationContext context)
    {
        var started = setStatus(JobStatus.Running, string.Create(CultureInfo.InvariantCulture, $"Fine-tuning job started: {plan.TotalSteps} steps"), null, plan.TotalSteps);
        // Sequences are taken now, in code order, so the warnings sit right after the start whatever runs meanwhile.
        var warnings = (plan.Warnings ?? []).Select(w => new JobStatusChange(jobId, nextSequence(), JobStatus.Running, "Warning: " + w, Level: "warn")).ToList();
        await started;
        foreach (var warning in warnings) await context.CallActivityAsync(RftOrchestrations.RecordJobStatus, warning, RftOrchestrations.Retry);
    }

    /// <summary>
    /// One shard: its rollout and at once its grading, in one activity (<see cref="RolloutAndGradeActivity"/>). Shards are
    /// graded as their samples arrive, so grading one shard overlaps sampling the next (the device samples shards one
    /// after another) and only the last shard's grading is left between sampling and the update.
    /// </summary>
    internal static Task<GradedShard> SampleAndGradeAsync(TaskOrchestrationContext context, RolloutInput input) =>
        context.CallActivityAsync<GradedShard>(RftOrchestrations.RolloutAndGrade, input, RftOrchestrations.Retry);
}
