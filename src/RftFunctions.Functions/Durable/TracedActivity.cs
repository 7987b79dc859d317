using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.DurableTask;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// Wraps every activity the self-hosted worker runs in a span (<see cref="SourceName"/>, one per invocation, tagged
/// with the activity and instance) and a duration histogram, so telemetry and the benchmarks see where a job's wall
/// time goes (inside activities versus between them: dispatch, queues, history).
/// </summary>
public sealed class TracedActivity(string name, ITaskActivity inner, ActivityGauge? gauge = null) : ITaskActivity
{
    /// <summary>The ActivitySource and Meter name.</summary>
    public const string SourceName = "RftFunctions.Activities";

    /// <summary>The span's operation name.</summary>
    public const string SpanName = "activity";

    private static readonly ActivitySource Source = new(SourceName);
    private static readonly Meter Meter = new(SourceName);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("rft.activity.duration", "s", "Activity invocations, by name and outcome");

    /// <inheritdoc />
    public Type InputType => inner.InputType;

    /// <inheritdoc />
    public Type OutputType => inner.OutputType;

    /// <inheritdoc />
    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var running = gauge?.Enter();
        using var span = Source.StartActivity(SpanName);
        span?.SetTag("name", name);
        span?.SetTag("instance", context.InstanceId);
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            var result = await inner.RunAsync(context, input);
            outcome = "completed";
            return result;
        }
        finally
        {
            span?.SetTag("outcome", outcome);
            Duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("name", name), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }
}
