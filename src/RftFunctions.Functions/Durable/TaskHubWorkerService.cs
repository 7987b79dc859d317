using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// The self-hosted worker: DurableTask.Core's <see cref="TaskHubWorker"/> over Durable Functions' Azure Storage provider,
/// running the app's orchestrators and activities (written against Microsoft.DurableTask) through the SDK's
/// <see cref="DurableTaskShimFactory"/>, as the isolated Functions worker runs them. Every worker registers everything.
/// Storage trouble at start is retried with backoff, so the API stays up and the worker joins once storage answers.
/// </summary>
public sealed class TaskHubWorkerService(
    TaskHubEngine engine, TaskCatalog catalog, IServiceProvider services, WorkerShutdown shutdown, ILoggerFactory loggerFactory, ILogger<TaskHubWorkerService> logger) : BackgroundService
{
    private static readonly TimeSpan MaxStartDelay = TimeSpan.FromSeconds(30);
    private TaskHubWorker? _worker;

    /// <summary>This process's name in partition leases.</summary>
    public string WorkerId => engine.WorkerId;

    /// <summary>Stop waits this long for running work items before it lets them go (they are redelivered to another worker).</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var service = engine.CreateService();
            try
            {
                await service.CreateIfNotExistsAsync().WaitAsync(stoppingToken);
                var worker = new TaskHubWorker(service, loggerFactory)
                {
                    // The shims read FailureDetails (TaskFailedException.FailureDetails in orchestrators).
                    ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
                };
                var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = TaskHubJson.Converter }, loggerFactory);
                worker.AddTaskOrchestrations([.. catalog.Orchestrators.Select(o => new OrchestrationCreator(o.Key, () => shims.CreateOrchestration(o.Key, o.Value(services), parent: null)))]);
                worker.AddTaskActivities([.. catalog.Activities.Select(a => new ActivityCreator(a.Key, () => shims.CreateActivity(a.Key, new TracedActivity(a.Key, a.Value(services)))))]);
                await worker.StartAsync().WaitAsync(stoppingToken);
                _worker = worker;
                logger.LogInformation("Durable worker {WorkerId} started on task hub {Hub}: {Orchestrators} orchestrators, {Activities} activities",
                    engine.WorkerId, engine.Options.HubName, catalog.Orchestrators.Count, catalog.Activities.Count);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is not InvalidOperationException)
            {
                // Each attempt makes its own service (storage clients, timers): a failed one is let go before the next.
                service.Dispose();
                logger.LogError(e, "Durable worker could not start (retrying in {Delay}): {Message}", delay, e.Message);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxStartDelay.Ticks));
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_worker is not { } worker) return;
        // Long activities watch this and end early; their work items come back for another worker.
        shutdown.Signal();
        // A graceful stop waits for running work; a long training step may not end in time, and its work item is then
        // simply redelivered (activities are idempotent), so stopping never hangs on it.
        var graceful = worker.StopAsync(isForced: false);
        if (await Task.WhenAny(graceful, Task.Delay(StopGracePeriod, CancellationToken.None)) != graceful)
        {
            logger.LogWarning("Durable worker {WorkerId}: work still running after {Grace}; stopping without it (it is redelivered)", engine.WorkerId, StopGracePeriod);
            await worker.StopAsync(isForced: true);
        }
    }

    private sealed class OrchestrationCreator : ObjectCreator<TaskOrchestration>
    {
        private readonly Func<TaskOrchestration> _create;

        public OrchestrationCreator(string name, Func<TaskOrchestration> create)
        {
            Name = name;
            Version = "";
            _create = create;
        }

        public override TaskOrchestration Create() => _create();
    }

    private sealed class ActivityCreator : ObjectCreator<DurableTask.Core.TaskActivity>
    {
        private readonly Func<DurableTask.Core.TaskActivity> _create;

        public ActivityCreator(string name, Func<DurableTask.Core.TaskActivity> create)
        {
            Name = name;
            Version = "";
            _create = create;
        }

        public override DurableTask.Core.TaskActivity Create() => _create();
    }
}
