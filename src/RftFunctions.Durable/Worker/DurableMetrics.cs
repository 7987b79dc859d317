using System.Diagnostics.Metrics;

namespace RftFunctions.Durable.Worker;

/// <summary>The runtime's counters (meter <c>RftFunctions.Durable</c>), for OpenTelemetry or dotnet-counters.</summary>
internal static class DurableMetrics
{
    public const string MeterName = "RftFunctions.Durable";
    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Episodes = Meter.CreateCounter<long>("durable.episodes", description: "Orchestration episodes committed.");
    public static readonly Counter<long> EpisodeConflicts = Meter.CreateCounter<long>("durable.episode_conflicts", description: "Episodes dropped because another worker changed the instance first.");
    public static readonly Counter<long> Activities = Meter.CreateCounter<long>("durable.activities", description: "Activity invocations finished (completed or failed).");
    public static readonly Counter<long> ActivityRedeliveries = Meter.CreateCounter<long>("durable.activity_redeliveries", description: "Activity messages delivered more than once.");
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("durable.retries", description: "Task retries scheduled by retry policies or handlers.");
    public static readonly Counter<long> PoisonMessages = Meter.CreateCounter<long>("durable.poison_messages", description: "Messages moved aside after too many deliveries.");
    public static readonly Histogram<double> EpisodeDuration = Meter.CreateHistogram<double>("durable.episode_duration", unit: "ms", description: "Time from loading an instance to committing its episode.");
    public static readonly Histogram<double> QueueLatency = Meter.CreateHistogram<double>("durable.queue_latency", unit: "ms", description: "Time from send to receive of queue messages.");
}
