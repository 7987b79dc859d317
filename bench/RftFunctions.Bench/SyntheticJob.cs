using System.Globalization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Durable;
using RftFunctions.Storage;

namespace RftFunctions.Bench;

/// <summary>
/// The TrainingJob's shape with activities that only wait a fixed time: per step, two shards (RolloutAndGrade, sampling
/// and grading: twice the time, in parallel), then PolicyUpdate, then two bookkeeping activities that overlap the next step. Measures the
/// engine's share of a job's wall time (no activity running) as the activities grow: the per-hop cost is fixed, so it
/// fades as work grows.
/// </summary>
internal static class SyntheticJob
{
    private sealed record Shape(int Steps, double ActivitySeconds);

    /// <summary>Runs the shape with activities of <paramref name="activitySeconds"/> and returns its overhead fraction.</summary>
    public static async Task<(double Overhead, double WallSeconds)> RunAsync(StorageAccount account, TaskHubOptions hub, double activitySeconds, int steps, SpanRecorder spans)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(account);
        services.AddSingleton(new WorkerShutdown());
        var options = hub with { HubName = "benchshape" + Guid.NewGuid().ToString("N")[..8] };
        services.AddSingleton(options);
        services.AddSingleton(sp => new TaskHubEngine(account, options));
        services.AddSingleton(new TaskCatalog()
            .AddOrchestrator<ShapeOrchestrator>("SyntheticJob")
            .AddActivity<WaitActivity>("RolloutAndGrade")
            .AddActivity<WaitActivity>("PolicyUpdate")
            .AddActivity<WaitActivity>("RecordMetrics")
            .AddActivity<WaitActivity>("Checkpoint"));
        services.AddSingleton<TaskHubWorkerService>();
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetRequiredService<TaskHubWorkerService>();
        await worker.StartAsync(CancellationToken.None);
        await using var client = provider.GetRequiredService<TaskHubEngine>().CreateClient();
        try
        {
            // Warm-up: queues, tables, JIT, partition leases.
            await RunOnceAsync(client, new Shape(1, 0.01));
            var (start, end) = await RunOnceAsync(client, new Shape(steps, activitySeconds));
            var wall = (end - start).TotalSeconds;
            var inside = SpanRecorder.UnionSeconds(spans.Activities(start, end));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"synthetic job, {steps} steps, {activitySeconds:0.0} s activities: wall {wall:0.00} s, inside activities {inside:0.00} s, overhead {(wall - inside) / wall:P1}"));
            return ((wall - inside) / wall, wall);
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<(DateTime Start, DateTime End)> RunOnceAsync(DurableTaskClient client, Shape shape)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync("SyntheticJob", shape);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var done = await client.WaitForInstanceCompletionAsync(id, false, timeout.Token);
        if (done.RuntimeStatus != OrchestrationRuntimeStatus.Completed) throw new InvalidOperationException($"synthetic job ended {done.RuntimeStatus}: {done.FailureDetails}");
        return (done.CreatedAt.UtcDateTime, done.LastUpdatedAt.UtcDateTime);
    }

    private sealed class ShapeOrchestrator : TaskOrchestrator<Shape, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, Shape shape)
        {
            var seconds = shape.ActivitySeconds;
            Task bookkeeping = Task.CompletedTask;
            for (int step = 0; step < shape.Steps; step++)
            {
                await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => context.CallActivityAsync<int>("RolloutAndGrade", 2 * seconds)));
                await context.CallActivityAsync<int>("PolicyUpdate", seconds);
                await bookkeeping;
                bookkeeping = Task.WhenAll(context.CallActivityAsync<int>("RecordMetrics", 0.01), context.CallActivityAsync<int>("Checkpoint", 0.01));
            }
            await bookkeeping;
            return shape.Steps;
        }
    }

    private sealed class WaitActivity : TaskActivity<double, int>
    {
        public override async Task<int> RunAsync(TaskActivityContext context, double seconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            return 1;
        }
    }
}
