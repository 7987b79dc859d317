using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// OpenTelemetry for the host: HTTP server traces and metrics, the engine's spans, the app's own meters (activity
/// durations, chat), and logs. They go to Application Insights when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (infra puts it there from Key Vault); otherwise nothing is
/// exported and the cost is a few listeners.
/// </summary>
public static class Telemetry
{
    /// <summary>The setting Azure Monitor's exporter reads.</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Meters of the app's own components.</summary>
    // Activity durations (Durable.TracedActivity) and the chat endpoint's (ChatMetrics).
    public static readonly string[] Meters = [Durable.TracedActivity.SourceName, Api.Chat.ChatMetrics.MeterName];

    /// <summary>Trace sources: the engine's own (orchestration and task spans) and our per-activity spans.</summary>
    public static readonly string[] Sources = ["DurableTask.Core", Durable.TracedActivity.SourceName];

    public static void AddRftTelemetry(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration[ConnectionStringSetting];
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] ?? "rft";
        bool export = !string.IsNullOrWhiteSpace(connectionString);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation(o => o.Filter = context => context.Request.Path != "/healthz").AddSource(Sources);
                if (export) tracing.AddAzureMonitorTraceExporter(o => o.ConnectionString = connectionString);
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter(Meters);
                if (export) metrics.AddAzureMonitorMetricExporter(o => o.ConnectionString = connectionString);
            });
        if (export)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.AddAzureMonitorLogExporter(o => o.ConnectionString = connectionString);
            });
        }
    }
}
