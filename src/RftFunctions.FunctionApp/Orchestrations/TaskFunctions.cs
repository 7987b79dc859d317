using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Orchestrations;

namespace RftFunctions.FunctionApp.Orchestrations;

/// <summary>
/// The app's orchestrators and activities as Durable Functions: one <c>[OrchestrationTrigger]</c> or
/// <c>[ActivityTrigger]</c> function per entry of the <see cref="TaskCatalog"/> the self-hosted worker registers. Each
/// function makes its class through the catalog's own factory, with the invocation's services (the worker creates this
/// class per invocation from <c>FunctionContext.InstanceServices</c>, so <paramref name="services"/> is that scope), so
/// both hosts run the same class; a function only declares the name and
/// the wire types, which must be the class's (a mismatch fails the cast, and FunctionAppTaskTypesTests before that).
/// These are the lines Microsoft.DurableTask.Generators would write, which our registry does not serve.
/// </summary>
public sealed class TaskFunctions(TaskCatalog catalog, IServiceProvider services)
{
    [Function(RftOrchestrations.TrainingJob)]
    public Task<TrainingJobOutcome> TrainingJob([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunOrchestrator<TrainingJobState, TrainingJobOutcome>(RftOrchestrations.TrainingJob, context);

    [Function(RftOrchestrations.Validation)]
    public Task<ValidationResult> Validation([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunOrchestrator<ValidationInput, ValidationResult>(RftOrchestrations.Validation, context);

    [Function(CheckpointEvaluation.Orchestration)]
    public Task<CheckpointEvaluationOutcome> CheckpointEvaluationOrchestration([OrchestrationTrigger] TaskOrchestrationContext context) =>
        RunOrchestrator<CheckpointEvaluationInput, CheckpointEvaluationOutcome>(CheckpointEvaluation.Orchestration, context);

    [Function(RftOrchestrations.ValidateJob)]
    public Task<JobPlan> ValidateJob([ActivityTrigger] string input, string instanceId) =>
        RunActivity<string, JobPlan>(RftOrchestrations.ValidateJob, input, instanceId);

    [Function(RftOrchestrations.RolloutAndGrade)]
    public Task<GradedShard> RolloutAndGrade([ActivityTrigger] RolloutInput input, string instanceId) =>
        RunActivity<RolloutInput, GradedShard>(RftOrchestrations.RolloutAndGrade, input, instanceId);

    [Function(RftOrchestrations.PolicyUpdate)]
    public Task<PolicyUpdateResult> PolicyUpdate([ActivityTrigger] PolicyUpdateInput input, string instanceId) =>
        RunActivity<PolicyUpdateInput, PolicyUpdateResult>(RftOrchestrations.PolicyUpdate, input, instanceId);

    [Function(RftOrchestrations.RecordMetrics)]
    public Task<string> RecordMetrics([ActivityTrigger] StepReport input, string instanceId) =>
        RunActivity<StepReport, string>(RftOrchestrations.RecordMetrics, input, instanceId);

    [Function(RftOrchestrations.RecordJobStatus)]
    public Task<string> RecordJobStatus([ActivityTrigger] JobStatusChange input, string instanceId) =>
        RunActivity<JobStatusChange, string>(RftOrchestrations.RecordJobStatus, input, instanceId);

    [Function(RftOrchestrations.Checkpoint)]
    public Task<string> Checkpoint([ActivityTrigger] CheckpointInput input, string instanceId) =>
        RunActivity<CheckpointInput, string>(RftOrchestrations.Checkpoint, input, instanceId);

    [Function(RftOrchestrations.Finalize)]
    public Task<string> Finalize([ActivityTrigger] FinalizeInput input, string instanceId) =>
        RunActivity<FinalizeInput, string>(RftOrchestrations.Finalize, input, instanceId);

    [Function(CheckpointEvaluation.RecordActivity)]
    public Task<CheckpointEvaluationOutcome> RecordCheckpointEvaluation([ActivityTrigger] CheckpointEvaluationResult input, string instanceId) =>
        RunActivity<CheckpointEvaluationResult, CheckpointEvaluationOutcome>(CheckpointEvaluation.RecordActivity, input, instanceId);

    /// <summary>Runs the catalog's orchestrator <paramref name="name"/> with the instance's input.</summary>
    private Task<TOut> RunOrchestrator<TIn, TOut>(string name, TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var orchestrator = (TaskOrchestrator<TIn, TOut>)catalog.Orchestrators[name](services);
        return orchestrator.RunAsync(context, context.GetInput<TIn>()!);
    }

    /// <summary>Runs the catalog's activity <paramref name="name"/> with the invocation's services.</summary>
    private async Task<TOut> RunActivity<TIn, TOut>(string name, TIn input, string instanceId)
    {
        var activity = (TaskActivity<TIn, TOut>)catalog.Activities[name](services);
        // As under the self-hosted worker: a storage outage is waited out inside the invocation (issue 22).
        var tolerant = new OutageTolerantActivity(name, activity, services.GetRequiredService<WorkerShutdown>(), services.GetRequiredService<ILogger<OutageTolerantActivity>>());
        return (TOut)(await tolerant.RunAsync(new FunctionActivityContext(name, instanceId), input))!;
    }
}
