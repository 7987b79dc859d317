using System.Globalization;
using System.Text.Json;
using RftFunctions.Functions.Tests.Dashboard;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// The deployment's shape on the test Azurite: one <c>rft serve</c> process with the api role (no durable worker) and
/// two <c>rft worker</c> processes sharing the task hub; workers are SIGKILLed at seeded random moments during a job
/// created through <c>/v1</c>, and restarted. The job must succeed with the numbers of the same job run uninterrupted.
/// </summary>
public sealed class MultiProcessChaosTests(StorageFixture storage)
{
    private const int TrainLines = 12; // batch 2: 6 steps, validation and checkpoints every 2 steps
    private const int Kills = 4;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Short leases and visibility: a killed worker's partitions and messages come back within seconds.</summary>
    private static readonly Dictionary<string, string> FastRecovery = new()
    {
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__leaseInterval"] = "00:00:05",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__leaseRenewInterval"] = "00:00:01",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__leaseAcquireInterval"] = "00:00:01",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:00:04",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:04",
    };

    [Fact]
    public async Task A_job_survives_its_worker_processes_being_SIGKILLed_and_ends_with_the_uninterrupted_numbers()
    {
        List<string> expected;
        await using (var reference = await LiveJobHost.StartAsync(storage, "all", FastRecovery))
        {
            var id = await reference.CreateJobAsync(TrainLines, evalInterval: 2);
            await reference.WaitForJobAsync(id, j => j.GetProperty("status").GetString() == "succeeded", "succeeded", seconds: 400);
            expected = Numbers(await reference.EventsAsync(id));
        }
        Assert.Equal(6, expected.Count);

        await using var api = await LiveJobHost.StartAsync(storage, "api", FastRecovery);
        var workers = new[] { StartWorker(api), StartWorker(api) };
        var random = new Random(20261207);
        var kills = new List<string>();
        try
        {
            var jobId = await api.CreateJobAsync(TrainLines, evalInterval: 2);
            for (int kill = 1; kill <= Kills; kill++)
            {
                // Spread the kills over the job: after step ceil(kill * 6 / (Kills + 1)) is recorded, a random moment
                // later, a random worker (so sometimes the one holding the step, sometimes the other).
                int afterStep = (kill * 6 + Kills) / (Kills + 1);
                await api.WaitForJobAsync(jobId, j => TrainedSteps(j) >= afterStep, $"step {afterStep}", seconds: 400);
                await Task.Delay(random.Next(0, 2000), Ct);
                var victim = random.Next(workers.Length);
                var job = await api.JobAsync(jobId);
                Assert.True(job.GetProperty("status").GetString() == "running", $"the job is {job.GetProperty("status")} before kill {kill}; make it longer");
                await workers[victim].DisposeAsync(); // Process.Kill: SIGKILL on Linux, no shutdown code runs
                kills.Add(string.Create(CultureInfo.InvariantCulture, $"kill {kill}: worker {victim} at step {TrainedSteps(job)}"));
                workers[victim] = StartWorker(api);
            }
            var done = await api.WaitForJobAsync(jobId, j => j.GetProperty("status").GetString() is "succeeded", "succeeded", seconds: 600);
            Assert.Equal(6, TrainedSteps(done));
            var events = await api.EventsAsync(jobId);
            // Each step's metrics event once, with the uninterrupted run's numbers; no event written twice.
            Assert.Equal(expected, Numbers(events));
            Assert.Equal(events.Count, events.Select(e => e.GetProperty("id").GetString()).Distinct().Count());
            Assert.StartsWith("ft:", done.GetProperty("fine_tuned_model").GetString(), StringComparison.Ordinal);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"{e.Message}\n{string.Join("; ", kills)}\nworker 0:\n{Tail(workers[0].Output)}\nworker 1:\n{Tail(workers[1].Output)}", e);
        }
        finally
        {
            foreach (var worker in workers) await worker.DisposeAsync();
        }
    }

    private static HostProcess StartWorker(LiveJobHost api) => HostProcess.Start(api.Settings, "worker");

    private static int TrainedSteps(JsonElement job) =>
        job.TryGetProperty("trained_steps", out var steps) && steps.ValueKind == JsonValueKind.Number ? steps.GetInt32() : 0;

    private static string Tail(string output) => output.Length > 3000 ? output[^3000..] : output;

    /// <summary>Step, train and validation reward, loss and gradient norm of each metrics event, oldest first.</summary>
    private static List<string> Numbers(List<JsonElement> events) =>
        [.. events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => TrainingJobReads.Numbers(e.GetProperty("data"))).Order(StringComparer.Ordinal)];
}
