using Azure.Storage.Queues;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Durable;

/// <summary>
/// host.json's short visibility timeouts (a crashed worker's work comes back in seconds) rely on the engine renewing a
/// running activity's work-item message: an activity that runs three times longer than the visibility timeout, on a
/// live worker, must run once and its message must never become visible (deliverable to any worker) while it runs.
/// </summary>
public sealed class LongActivityRenewalTests(StorageFixture storage)
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(8);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_activity_running_three_visibility_timeouts_is_renewed_and_runs_once()
    {
        var hub = new TaskHubOptions
        {
            HubName = storage.UniqueName("renew").Replace("-", "", StringComparison.Ordinal),
            StorageProvider = new TaskHubStorageOptions
            {
                MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100),
                WorkItemQueueVisibilityTimeout = Visibility,
                ControlQueueVisibilityTimeout = Visibility,
            },
            // One activity at a time: while the slow one runs this worker does not poll the work-item queue, so a message
            // that became visible (no renewal) stays visible for the probe below to see.
            MaxConcurrentActivityFunctions = 1,
        };
        var executions = new Executions();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new WorkerShutdown());
        services.AddSingleton(executions);
        services.AddTaskHub(storage.Account, hub, runWorker: true);
        services.AddSingleton(new TaskCatalog()
            .AddOrchestrator<RunSlowOnce>(nameof(RunSlowOnce))
            .AddActivity<SlowActivity>(nameof(SlowActivity)));
        await using var provider = services.BuildServiceProvider();
        var worker = provider.GetRequiredService<TaskHubWorkerService>();
        await worker.StartAsync(Ct);
        try
        {
            var client = provider.GetRequiredService<DurableTaskClient>();
            var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(RunSlowOnce), (int)(3 * Visibility.TotalMilliseconds), Ct);

            // Probe the work-item queue (peek: it sees only visible messages and changes nothing) from the moment the
            // activity starts until it ends. A visible message there is one any worker could receive: a redelivery.
            var workItems = new QueueClient(storage.ConnectionString, $"{hub.HubName.ToLowerInvariant()}-workitems");
            await executions.Started.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
            int probes = 0, visibleWhileRunning = 0;
            while (!executions.Finished.Task.IsCompleted)
            {
                var peeked = await workItems.PeekMessagesAsync(maxMessages: 32, Ct);
                probes++;
                visibleWhileRunning += peeked.Value.Length;
                await Task.WhenAny(executions.Finished.Task, Task.Delay(250, Ct));
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromSeconds(120));
            var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, limit.Token);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
            Assert.Equal(1, done.ReadOutputAs<int>());
            Assert.True(probes >= 10, $"only {probes} probes of the work-item queue while the activity ran");
            Assert.Equal(0, visibleWhileRunning);
            Assert.Equal(1, executions.Count);
        }
        finally
        {
            await worker.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Counts activity executions and signals the first start and end.</summary>
    public sealed class Executions
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Begin()
        {
            Started.TrySetResult();
            return Interlocked.Increment(ref _count);
        }
    }

    /// <summary>Calls <see cref="SlowActivity"/> once (no retry: a second execution could only be a redelivery).</summary>
    public sealed class RunSlowOnce : TaskOrchestrator<int, int>
    {
        public override Task<int> RunAsync(TaskOrchestrationContext context, int input) =>
            context.CallActivityAsync<int>(nameof(SlowActivity), input);
    }

    /// <summary>Stands for a long policy update: works for the given milliseconds; returns which execution it was.</summary>
    public sealed class SlowActivity(Executions executions) : TaskActivity<int, int>
    {
        public override async Task<int> RunAsync(TaskActivityContext context, int input)
        {
            int execution = executions.Begin();
            await Task.Delay(input);
            executions.Finished.TrySetResult();
            return execution;
        }
    }
}
