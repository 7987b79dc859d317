using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Grading;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// One shard end to end: its rollout (on the worker's device, one at a time per device) and at once its grading (CPU,
/// alongside the next shard's sampling), as one activity: every worker runs both, so a shard costs one dispatch round
/// trip instead of two. Each half writes its own blob keyed by its input, so a redelivered shard redoes only what is
/// missing.
/// </summary>
public sealed class RolloutAndGradeActivity(JobWorkspace workspace, JobStorageOptions jobOptions, ProjectGraderServices graders, WorkerShutdown shutdown)
    : TaskActivity<RolloutInput, GradedShard>
{
    private readonly RolloutActivity _rollout = new(workspace, jobOptions, shutdown);
    private readonly GradeActivity _grade = new(workspace, graders, shutdown);

    /// <inheritdoc />
    public override async Task<GradedShard> RunAsync(TaskActivityContext context, RolloutInput input)
    {
        var rollout = await _rollout.RunAsync(context, input);
        // When sampling ended (the step's sampling/grading split in its metrics event); recorded in history, so replays agree.
        var sampledAt = DateTime.UtcNow;
        var grade = await _grade.RunAsync(context, new GradeInput(input.JobId, input.Step, input.Shard, input.Split, rollout.Blob));
        return new GradedShard(rollout, sampledAt, grade);
    }
}
