using System.Globalization;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Durable;
using RftFunctions.Storage;

namespace RftFunctions.Bench;

/// <summary>
/// The engine (DurableTask.Core + DurableTask.AzureStorage, as the self-hosted worker runs it) on a private Azurite with
/// one worker (this process), with host.json's polling settings: per-hop latency of a chain of no-op activities (from
/// one activity's end to the next one's start: result queued, orchestrator episode, next activity queued and picked up)
/// and the throughput of a no-op fan-out/fan-in.
/// </summary>
public sealed class DurableBenchmark : IBenchmark
{
    /// <inheritdoc/>
    public string Name => "durable";

    /// <inheritdoc/>
    public string Description => "the durable engine on Azurite: per-hop latency p50/p95 (chain of no-op activities) and fan-out throughput [FANOUT] [--polling MS]";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        int activities = args.Length > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 500;
        var polling = TimeSpan.FromMilliseconds(Option(args, "--polling") ?? 100);
        var toolDirectory = AzuriteEmulator.FindToolDirectory(AppContext.BaseDirectory, Directory.GetCurrentDirectory());
        await using var azurite = await AzuriteEmulator.StartAsync(new AzuriteOptions(toolDirectory));
        var account = StorageAccount.FromConnectionString(azurite.ConnectionString);
        var options = new TaskHubOptions
        {
            HubName = "benchhop" + Guid.NewGuid().ToString("N")[..8],
            MaxConcurrentActivityFunctions = 64,
            ExtendedSessionsEnabled = true,
            StorageProvider = new TaskHubStorageOptions { MaxQueuePollingInterval = polling },
        };
        using var spans = new SpanRecorder();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new WorkerShutdown());
        services.AddSingleton(sp => new TaskHubEngine(account, options));
        services.AddSingleton(new TaskCatalog()
            .AddOrchestrator<FanOut>("FanOut")
            .AddOrchestrator<Chain>("Chain")
            .AddActivity<Noop>("Noop"));
        services.AddSingleton<TaskHubWorkerService>();
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetRequiredService<TaskHubWorkerService>();
        await worker.StartAsync(CancellationToken.None);
        await using var client = provider.GetRequiredService<TaskHubEngine>().CreateClient();

        await RunAsync(client, "FanOut", 20); // warm-up: queues, tables, JIT, partition leases
        var (chainStart, chainEnd) = await RunAsync(client, "Chain", 40);
        var chain = spans.Activities(chainStart, chainEnd);
        var hops = chain.Zip(chain.Skip(1), (a, b) => (b.Start - a.End).TotalMilliseconds).Order().ToArray();
        double P(double q) => hops.Length == 0 ? double.NaN : hops[Math.Min(hops.Length - 1, (int)(hops.Length * q))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chain of 40 no-op activities: {(chainEnd - chainStart).TotalSeconds:0.00} s; hop p50 {P(0.5):0.0} ms, p95 {P(0.95):0.0} ms"));

        var (fanStart, fanEnd) = await RunAsync(client, "FanOut", activities);
        var perSecond = activities / (fanEnd - fanStart).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fan-out of {activities} no-op activities: {(fanEnd - fanStart).TotalSeconds:0.00} s = {perSecond:0.0}/s"));
        await worker.StopAsync(CancellationToken.None);

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["engine"] = "DurableTask.Core + DurableTask.AzureStorage",
            ["max_queue_polling_interval_ms"] = polling.TotalMilliseconds,
            ["extended_sessions"] = options.ExtendedSessionsEnabled,
            ["hop_latency_ms_p50"] = Math.Round(P(0.5), 1),
            ["hop_latency_ms_p95"] = Math.Round(P(0.95), 1),
            ["fanout_activities"] = activities,
            ["fanout_activities_per_s"] = Math.Round(perSecond, 1),
            ["cores"] = Environment.ProcessorCount,
            ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a",
        }));
        return 0;
    }

    private static int? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Scheduling to the final commit, as the engine recorded them (the client's polling does not count).</summary>
    private static async Task<(DateTime Start, DateTime End)> RunAsync(DurableTaskClient client, string orchestrator, int n)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, n);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var result = await client.WaitForInstanceCompletionAsync(id, true, timeout.Token);
        if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed || result.ReadOutputAs<int>() != n)
            throw new InvalidOperationException($"{orchestrator} ended {result.RuntimeStatus}: {result.FailureDetails}");
        return (result.CreatedAt.UtcDateTime, result.LastUpdatedAt.UtcDateTime);
    }

    private sealed class FanOut : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int n) =>
            (await Task.WhenAll(Enumerable.Range(0, n).Select(i => context.CallActivityAsync<int>("Noop", i)))).Length;
    }

    private sealed class Chain : TaskOrchestrator<int, int>
    {
        public override async Task<int> RunAsync(TaskOrchestrationContext context, int n)
        {
            var last = 0;
            for (int i = 0; i < n; i++) last = await context.CallActivityAsync<int>("Noop", i);
            return last + 1;
        }
    }

    private sealed class Noop : TaskActivity<int, int>
    {
        public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(input);
    }
}
