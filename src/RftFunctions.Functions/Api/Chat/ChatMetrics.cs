using System.Diagnostics.Metrics;

namespace RftFunctions.Functions.Api.Chat;

/// <summary>The chat endpoint's own counters (meter <see cref="MeterName"/>).</summary>
public static class ChatMetrics
{
    /// <summary>The meter's name, as telemetry subscribes to it.</summary>
    public const string MeterName = "RftFunctions.Api";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Generations stopped early because their client disconnected.</summary>
    public static readonly Counter<long> GenerationsAbandoned =
        Meter.CreateCounter<long>("rft.chat.generations_abandoned", description: "Chat generations stopped because the client disconnected");
}
