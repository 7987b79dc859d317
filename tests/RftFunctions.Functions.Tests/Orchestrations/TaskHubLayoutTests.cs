using System.Text.Json;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// A task hub written by the self-hosted host is Durable Functions' own layout: DurableTask.AzureStorage's client,
/// knowing nothing of this app, reads its instances, inputs, outputs and history, and finds its queues and tables under
/// the provider's names.
/// </summary>
public sealed class TaskHubLayoutTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_written_by_the_self_hosted_host_is_read_by_the_engine_providers_own_client()
    {
        string hub;
        const string JobId = "ftjob-layout";
        await using (var host = await TrainingTestHost.StartAsync(storage))
        {
            hub = host.DurableOptions.HubName;
            await host.CreateJobAsync(JobId, TrainingTestHost.Config(seed: 3, evalInterval: 2, stepsPerGeneration: 1), trainLines: 4);
            var done = await host.WaitAsync(JobId, seconds: 180);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        }

        // The provider's client, configured only with the hub name and the storage account.
        using var service = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = hub,
            StorageAccountClientProvider = new StorageAccountClientProvider(storage.ConnectionString),
        });
        var client = new TaskHubClient(service);

        var state = await client.GetOrchestrationStateAsync(JobId);
        Assert.NotNull(state);
        Assert.Equal(RftOrchestrations.TrainingJob, state.Name);
        Assert.Equal(OrchestrationStatus.Completed, state.OrchestrationStatus);
        // Inputs and outputs are the app's JSON: the last generation's state and the job's outcome.
        using (var input = JsonDocument.Parse(state.Input))
            Assert.Equal(JobId, input.RootElement.GetProperty("jobId").GetString());
        using (var output = JsonDocument.Parse(state.Output))
        {
            Assert.Equal("succeeded", output.RootElement.GetProperty("status").GetString());
            Assert.Equal(2, output.RootElement.GetProperty("trainedSteps").GetInt32());
        }

        // The last generation's history: the final step's activities and Finalize, scheduled and completed.
        var history = await client.GetOrchestrationHistoryAsync(state.OrchestrationInstance);
        foreach (var activity in new[] { RftOrchestrations.RolloutAndGrade, RftOrchestrations.PolicyUpdate, RftOrchestrations.Finalize })
            Assert.Contains($"\"Name\":\"{activity}\"", history, StringComparison.Ordinal);

        // The step's validation ran as a sub-orchestration the provider lists too.
        var validations = (await service.GetOrchestrationStateAsync(DateTime.UtcNow.AddHours(-1), null, [OrchestrationStatus.Completed], Ct))
            .Where(s => s.Name == RftOrchestrations.Validation).ToList();
        Assert.NotEmpty(validations);

        // Durable Functions' names for the hub's storage.
        var tables = storage.Account.CreateTableServiceClient();
        var tableNames = new List<string>();
        await foreach (var table in tables.QueryAsync(t => t.Name.CompareTo(hub) >= 0, cancellationToken: Ct)) tableNames.Add(table.Name);
        Assert.Contains(hub + "History", tableNames);
        Assert.Contains(hub + "Instances", tableNames);
        var queues = storage.Account.CreateQueueServiceClient();
        var queueNames = new List<string>();
        await foreach (var queue in queues.GetQueuesAsync(prefix: hub.ToLowerInvariant(), cancellationToken: Ct)) queueNames.Add(queue.Name);
        Assert.Contains(hub.ToLowerInvariant() + "-workitems", queueNames);
        Assert.Contains(hub.ToLowerInvariant() + "-control-00", queueNames);
        Assert.DoesNotContain(queueNames, q => q.Contains("-workitems-", StringComparison.Ordinal));
    }
}
