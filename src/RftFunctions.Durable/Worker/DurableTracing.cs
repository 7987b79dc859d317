using System.Diagnostics;

namespace RftFunctions.Durable;

/// <summary>
/// The runtime's spans (activity source <c>RftFunctions.Durable</c>), for OpenTelemetry or an in-process
/// <see cref="ActivityListener"/>: one <c>durable.activity</c> span per activity invocation (name, instance, pool,
/// queue wait) and one <c>durable.episode</c> span per committed orchestration episode, tagged with the milliseconds
/// of each phase (history load, replay, outbound sends, history checkpoint, instance row, message deletes) and the
/// longest queue wait of its messages, and where its history came from (<c>history</c>: <c>memory</c>,
/// <c>validated</c> or <c>storage</c>). Where a job's wall time goes between activities is read from these.
/// </summary>
public static class DurableTracing
{
    /// <summary>The activity source name.</summary>
    public const string SourceName = "RftFunctions.Durable";

    /// <summary>The span of one activity invocation.</summary>
    public const string ActivitySpan = "durable.activity";

    /// <summary>The span of one orchestration episode.</summary>
    public const string EpisodeSpan = "durable.episode";

    /// <summary>The phase tags of an episode span (milliseconds).</summary>
    public static readonly IReadOnlyList<string> EpisodePhases = ["load_ms", "replay_ms", "outbound_ms", "checkpoint_ms", "instance_ms", "settle_ms"];

    internal static readonly ActivitySource Source = new(SourceName);
}
