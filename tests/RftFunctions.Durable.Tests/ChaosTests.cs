using System.Diagnostics;
using RftFunctions.Durable.AzureStorage;
using RftFunctions.Durable.Replay;
using RftFunctions.Durable.TestWorker;
using RftFunctions.Testing;

namespace RftFunctions.Durable.Tests;

/// <summary>Real worker OS processes on one task hub, one of them SIGKILLed again and again.</summary>
public sealed class ChaosTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Orchestrations_complete_without_lost_results_while_workers_are_killed_at_random()
    {
        const int Instances = 8;
        const int MaxKills = 5;
        var hubName = storage.UniqueName("chaos");
        var options = ChaosOptions.For(hubName);
        var workers = new Process?[3];
        var random = new Random(20261122);
        var kills = 0;
        try
        {
            for (int i = 0; i < workers.Length; i++) workers[i] = StartWorker(hubName, $"w{i}");
            var client = new AzureStorageDurableTaskClient(storage.Account, options);
            var ids = new List<string>();
            for (int i = 0; i < Instances; i++)
            {
                ids.Add(await client.ScheduleNewOrchestrationInstanceAsync(ChaosWorkload.Orchestrator, i, new StartOrchestrationOptions($"chaos-{i}"), Ct));
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(150);
            while (true)
            {
                var statuses = new List<OrchestrationMetadata?>();
                foreach (var id in ids) statuses.Add(await client.GetInstanceAsync(id, cancellation: Ct));
                if (statuses.All(s => s?.IsCompleted == true)) break;
                Assert.True(DateTime.UtcNow < deadline, $"not finished: {string.Join(", ", statuses.Where(s => s?.IsCompleted != true).Select(s => s?.InstanceId + ":" + s?.RuntimeStatus))}");
                // SIGKILL the victim at a random moment, then bring a fresh process back; after MaxKills the
                // survivors and the last restart must finish the work.
                await Task.Delay(random.Next(500, 2000), Ct);
                if (kills >= MaxKills) continue;
                const int victim = 0;
                workers[victim]!.Kill();
                await workers[victim]!.WaitForExitAsync(Ct);
                workers[victim]!.Dispose();
                kills++;
                workers[victim] = StartWorker(hubName, $"w{victim}-{kills}");
            }

            Assert.True(kills >= 2, $"only {kills} kills happened");
            var hub = new TaskHub(storage.Account, options);
            foreach (var (id, seed) in ids.Select((id, i) => (id, i)))
            {
                var metadata = await client.GetInstanceAsync(id, true, Ct);
                Assert.True(metadata!.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {metadata.RuntimeStatus} {metadata.FailureDetails}");
                Assert.Equal(ChaosWorkload.Expected(seed), metadata.ReadOutputAs<long>());
                // History reads back whole: each scheduled activity has exactly one recorded completion.
                var history = await hub.History.LoadAsync(id, Ct);
                var scheduled = history.Events.Where(e => e.EventType == EventType.TaskScheduled).Select(e => e.EventId).ToList();
                var completed = history.Events.Where(e => e.EventType == EventType.TaskCompleted).Select(e => e.TaskScheduledId).ToList();
                Assert.Equal(ChaosWorkload.ChainLength + ChaosWorkload.FanOut, scheduled.Count);
                Assert.Equal(scheduled.Order(), completed.Order());
                Assert.Single(history.Events, e => e.EventType == EventType.ExecutionStarted);
                Assert.Single(history.Events, e => e.EventType == EventType.ExecutionCompleted);
            }
        }
        finally
        {
            foreach (var w in workers)
            {
                if (w is null) continue;
                if (!w.HasExited) w.Kill();
                w.Dispose();
            }
        }
    }

    private Process StartWorker(string hubName, string workerId)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "RftFunctions.Durable.TestWorker.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(storage.ConnectionString);
        start.ArgumentList.Add(hubName);
        start.ArgumentList.Add(workerId);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the test worker");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
