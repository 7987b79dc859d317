using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using RftFunctions.Durable;
using RftFunctions.Storage;

namespace RftFunctions.Bench;

/// <summary>
/// The durable runtime on a private Azurite with one worker (this process): throughput of a 1,000 no-op activity
/// fan-out/fan-in, the median episode latency (receive to commit, from the runtime's own histogram), and the overhead
/// of running 16 one-second CPU activities against the ideal 16 s / cores.
/// </summary>
public sealed class DurableBenchmark : IBenchmark
{
    /// <inheritdoc/>
    public string Name => "durable";

    /// <inheritdoc/>
    public string Description => "durable runtime on Azurite: no-op activity throughput, episode latency, CPU fan-out overhead";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        int activities = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var toolDirectory = AzuriteEmulator.FindToolDirectory(AppContext.BaseDirectory, Directory.GetCurrentDirectory());
        await using var azurite = await AzuriteEmulator.StartAsync(new AzuriteOptions(toolDirectory));
        var account = StorageAccount.FromConnectionString(azurite.ConnectionString);
        var cores = Environment.ProcessorCount;

        var episodeMs = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "RftFunctions.Durable" && instrument.Name == "durable.episode_duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => { lock (episodeMs) episodeMs.Add(value); });
        // Activity completion times show where a fan-out's wall time goes (dispatch, activities, fan-in).
        var activityDone = new List<long>();
        listener.InstrumentPublished += (instrument, l) =>
        {
            if (instrument.Meter.Name == "RftFunctions.Durable" && instrument.Name == "durable.activities") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => { lock (activityDone) activityDone.Add(Stopwatch.GetTimestamp()); });
        listener.Start();

        // Throughput: one worker, the default pool at 64 concurrent no-op activities.
        var noopOptions = Options("benchnoop", new Dictionary<string, int> { ["default"] = 64 });
        var registry = new DurableTaskRegistry()
            .AddOrchestratorFunc<int, int>("FanOut", async (ctx, n) =>
                (await Task.WhenAll(Enumerable.Range(0, n).Select(i => ctx.CallActivityAsync<int>("Noop", i)))).Length)
            .AddActivityFunc<int, int>("Noop", (_, i) => i)
            .AddOrchestratorFunc<int, int>("Chain", async (ctx, n) =>
            {
                var last = 0;
                for (int i = 0; i < n; i++) last = await ctx.CallActivityAsync<int>("Noop", i);
                return last + 1;
            })
            .AddOrchestratorFunc<int, int>("Spin", async (ctx, n) =>
                (await Task.WhenAll(Enumerable.Range(0, n).Select(i => ctx.CallActivityAsync<int>("Burn", i)))).Length)
            .AddActivityFunc<int, int>("Burn", (_, i) => BurnCpu(TimeSpan.FromSeconds(1), i), pool: "cpu");
        double noopPerSecond;
        await using (var worker = new DurableTaskWorker(account, noopOptions, registry))
        {
            await worker.StartAsync(CancellationToken.None);
            var client = new AzureStorageDurableTaskClient(account, noopOptions);
            await RunAsync(client, "FanOut", 50); // warm-up: JIT, queues, tables
            lock (episodeMs) episodeMs.Clear();
            lock (activityDone) activityDone.Clear();
            var scheduled = Stopwatch.GetTimestamp();
            var wall = await RunAsync(client, "FanOut", activities);
            lock (activityDone)
            {
                if (activityDone.Count > 0)
                {
                    Console.WriteLine($"first activity done after {Stopwatch.GetElapsedTime(scheduled, activityDone.Min()).TotalSeconds:F2} s, " +
                                      $"last after {Stopwatch.GetElapsedTime(scheduled, activityDone.Max()).TotalSeconds:F2} s");
                }
            }
            noopPerSecond = activities / wall.TotalSeconds;
            Console.WriteLine($"{activities} no-op activities in {wall.TotalSeconds:F2} s = {noopPerSecond:F1}/s");
        }
        // Episode latency: a chain of 40 sequential no-op activities is 41 small episodes.
        await using (var worker = new DurableTaskWorker(account, noopOptions, registry))
        {
            await worker.StartAsync(CancellationToken.None);
            var client = new AzureStorageDurableTaskClient(account, noopOptions);
            lock (episodeMs) episodeMs.Clear();
            var chain = await RunAsync(client, "Chain", 40);
            Console.WriteLine($"chain of 40 sequential activities in {chain.TotalSeconds:F2} s");
        }
        double[] episodes;
        lock (episodeMs) episodes = [.. episodeMs.Order()];
        var p50 = episodes.Length == 0 ? double.NaN : episodes[episodes.Length / 2];
        Console.WriteLine($"{episodes.Length} episodes, p50 {p50:F1} ms, p90 {episodes[(int)(episodes.Length * 0.9)]:F1} ms, max {episodes[^1]:F1} ms");

        // Overhead: 16 x 1 s of CPU work, as many at once as there are cores.
        var cpuOptions = Options("benchcpu", new Dictionary<string, int> { ["default"] = 4, ["cpu"] = cores });
        double wallSeconds;
        await using (var worker = new DurableTaskWorker(account, cpuOptions, registry))
        {
            await worker.StartAsync(CancellationToken.None);
            var client = new AzureStorageDurableTaskClient(account, cpuOptions);
            wallSeconds = (await RunAsync(client, "Spin", 16)).TotalSeconds;
        }
        var ideal = 16.0 / cores;
        var overhead = (wallSeconds - ideal) / wallSeconds;
        Console.WriteLine($"16 x 1 s CPU activities on {cores} cores: {wallSeconds:F2} s wall, ideal {ideal:F2} s, overhead {overhead:P1}");

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["noop_activities_per_s"] = Math.Round(noopPerSecond, 1),
            ["episode_latency_ms_p50"] = Math.Round(p50, 2),
            ["overhead_fraction"] = Math.Round(overhead, 4),
            ["activities"] = activities,
            ["episodes"] = episodes.Length,
            ["cpu_fanout_wall_s"] = Math.Round(wallSeconds, 3),
            ["cores"] = cores,
        }));
        return 0;
    }

    private static DurableTaskOptions Options(string hub, Dictionary<string, int> pools) => new DurableTaskOptions
    {
        HubName = hub + Guid.NewGuid().ToString("N")[..8],
        WorkerPools = pools,
        StorageProvider = new AzureStorageProviderOptions { MaxQueuePollingInterval = TimeSpan.FromSeconds(1) },
    }.Validate();

    /// <summary>
    /// Runs one instance; the time is from scheduling to the final checkpoint, both as the runtime recorded them
    /// (CreatedAt and LastUpdatedAt), so the client's polling interval does not count.
    /// </summary>
    private static async Task<TimeSpan> RunAsync(DurableTaskClient client, string orchestrator, int n)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, n);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var result = await client.WaitForInstanceCompletionAsync(id, true, timeout.Token);
        if (result.RuntimeStatus != OrchestrationRuntimeStatus.Completed || result.ReadOutputAs<int>() != n)
        {
            throw new InvalidOperationException($"{orchestrator} ended {result.RuntimeStatus}: {result.FailureDetails}");
        }
        return result.LastUpdatedAt - result.CreatedAt;
    }

    /// <summary>Busy work for <paramref name="duration"/> of wall time on one thread.</summary>
    private static int BurnCpu(TimeSpan duration, int seed)
    {
        var stopwatch = Stopwatch.StartNew();
        var x = (uint)seed + 1;
        while (stopwatch.Elapsed < duration)
        {
            for (int i = 0; i < 10_000; i++) x = x * 1664525 + 1013904223;
        }
        return x == 0 ? -1 : seed;
    }
}
