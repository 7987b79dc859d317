using Microsoft.DurableTask;

namespace RftFunctions.FunctionApp.Orchestrations;

/// <summary>
/// The activity context the Function App hands an activity class: its name and the calling orchestration's instance
/// id (from the activity trigger's binding data). The few lines Microsoft.DurableTask.Generators would write.
/// </summary>
internal sealed class FunctionActivityContext(TaskName name, string instanceId) : TaskActivityContext
{
    /// <inheritdoc />
    public override TaskName Name { get; } = name;

    /// <inheritdoc />
    public override string InstanceId { get; } = instanceId;
}
