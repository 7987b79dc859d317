using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using RftFunctions.Functions.Health;

namespace RftFunctions.Functions.Durable;

/// <summary>
/// The self-hosted worker: DurableTask.Core's <see cref="TaskHubWorker"/> over Durable Functions' Azure Storage provider,
/// running the app's orchestrators and activities (written against Microsoft.DurableTask) through the SDK's
/// <see cref="DurableTaskShimFactory"/>, as the isolated Functions worker runs them. Every worker registers everything.
/// Storage trouble at start is retried with backoff, so the API stays up and the worker joins once storage answers.
/// </summary>
/// <remarks>
/// It also supervises the engine (issue 22). The engine's own loops survive storage errors, but an outage longer than
/// the storage SDK's retries can leave an orchestration wedged in memory: an episode's activity messages were sent, its
/// history commit failed, and the activities' results are then returned as "out of order" forever (seen on Azurite run
/// as three processes, StorageOutageTests). A fresh engine reloads every session from storage and replays the episode,
/// as a process restart would. So storage is probed every <see cref="ProbeInterval"/>; when it answers again after
/// failing <see cref="OutageProbes"/> probes in a row, the engine is stopped and started again in this process.
/// </remarks>
public sealed class TaskHubWorkerService(
    TaskHubEngine engine, TaskCatalog catalog, IServiceProvider services, WorkerShutdown shutdown, LoopLiveness liveness,
    ILoggerFactory loggerFactory, ILogger<TaskHubWorkerService> logger) : BackgroundService
{
    /// <summary>The liveness name of the engine's supervisor loop.</summary>
    public const string LoopName = "durable-engine";

    private static readonly TimeSpan MaxStartDelay = TimeSpan.FromSeconds(30);
    private readonly StorageHealth _storage = new(engine.Account);
    private readonly ActivityGauge _activities = new();
    private TaskHubWorker? _worker;
    private AzureStorageOrchestrationService? _service;

    /// <summary>This process's name in partition leases.</summary>
    public string WorkerId => engine.WorkerId;

    /// <summary>Stop waits this long for running work items before it lets them go (they are redelivered to another worker).</summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often storage is probed while the engine runs.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row that make an outage after which the engine restarts (a single blip does not).</summary>
    public int OutageProbes { get; init; } = 2;

    /// <summary>How long a message may wait unread in a queue this worker should read before the engine counts as stalled (<see cref="QueueProgressWatch"/>).</summary>
    public TimeSpan StallAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the queues are looked at for a stall.</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times the engine was restarted (after an outage or a stall).</summary>
    public int Restarts { get; private set; }

    /// <summary>The engine's worker now (tests wedge it behind the supervisor's back).</summary>
    internal TaskHubWorker? Engine => _worker;

    /// <summary>True while the engine's worker runs.</summary>
    public bool Running => _worker is not null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A start attempt can wait on storage for the SDK's retries; a probe round is at most 3 x 5 s.
        var loop = liveness.Register(LoopName, MaxStartDelay + TimeSpan.FromMinutes(1));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await StartEngineAsync(loop, stoppingToken);
                var why = await SuperviseAsync(loop, stoppingToken);
                if (why is null) return;
                Restarts++;
                logger.LogWarning("Durable engine: {Why}; restarting it so every orchestration is read again from storage (restart {Count})", why, Restarts);
                if (!await StopEngineAsync(forced: true))
                {
                    loop.Stalled("the durable engine did not stop for a restart after a storage outage");
                    return;
                }
            }
        }
        finally
        {
            if (!stoppingToken.IsCancellationRequested) loop.Stopped("the engine's supervisor ended while the host runs");
            else loop.Stopped("host stopping");
        }
    }

    private async Task StartEngineAsync(LoopHandle loop, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            stoppingToken.ThrowIfCancellationRequested();
            var service = engine.CreateService();
            try
            {
                await service.CreateIfNotExistsAsync().WaitAsync(stoppingToken);
                var worker = new TaskHubWorker(service, loggerFactory)
                {
                    // The shims read FailureDetails (TaskFailedException.FailureDetails in orchestrators).
                    ErrorPropagationMode = ErrorPropagationMode.UseFailureDetails,
                };
                var activityLogger = loggerFactory.CreateLogger<OutageTolerantActivity>();
                var shims = new DurableTaskShimFactory(new DurableTaskWorkerOptions { DataConverter = TaskHubJson.Converter }, loggerFactory);
                worker.AddTaskOrchestrations([.. catalog.Orchestrators.Select(o => new OrchestrationCreator(o.Key, () => shims.CreateOrchestration(o.Key, o.Value(services), parent: null)))]);
                worker.AddTaskActivities([.. catalog.Activities.Select(a => new ActivityCreator(a.Key, () => shims.CreateActivity(a.Key, new TracedActivity(a.Key, new OutageTolerantActivity(a.Key, a.Value(services), shutdown, activityLogger), _activities))))]);
                await worker.StartAsync().WaitAsync(stoppingToken);
                (_worker, _service) = (worker, service);
                if (loop.Status().State != "stalled") loop.Beat("engine running");
                logger.LogInformation("Durable worker {WorkerId} started on task hub {Hub}: {Orchestrators} orchestrators, {Activities} activities",
                    engine.WorkerId, engine.Options.HubName, catalog.Orchestrators.Count, catalog.Activities.Count);
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is not InvalidOperationException)
            {
                // Each attempt makes its own service (storage clients, timers): a failed one is let go before the next.
                service.Dispose();
                loop.Beat("engine not started: " + e.Message.Split('\n', 2)[0]);
                logger.LogError(e, "Durable worker could not start (retrying in {Delay}): {Message}", delay, e.Message);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxStartDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Probes storage and watches the queues until the host stops (null) or the engine needs a restart: an outage of
    /// <see cref="OutageProbes"/> probes ended, or a message waited unread too long. Returns why.
    /// </summary>
    private async Task<string?> SuperviseAsync(LoopHandle loop, CancellationToken stoppingToken)
    {
        var watch = new QueueProgressWatch(engine.Account, engine.Options, engine.WorkerId, _activities) { StallAfter = StallAfter };
        int failed = 0;
        long? outageStart = null;
        long lastLook = TimeProvider.System.GetTimestamp();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, stoppingToken);
                var probes = await _storage.ProbeAsync(stoppingToken);
                if (!probes.All(p => p.Ok))
                {
                    outageStart ??= TimeProvider.System.GetTimestamp();
                    failed++;
                    loop.Beat("storage unreachable: " + string.Join("; ", probes.Where(p => !p.Ok).Select(p => $"{p.Service} {p.Error}")));
                    continue;
                }
                if (failed >= OutageProbes)
                {
                    return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                        $"storage was unreachable for {TimeProvider.System.GetElapsedTime(outageStart!.Value).TotalSeconds:F0} s");
                }
                (failed, outageStart) = (0, null);
                if (TimeProvider.System.GetElapsedTime(lastLook) < WatchInterval)
                {
                    if (loop.Status().State != "stalled") loop.Beat("engine running");
                    continue;
                }
                lastLook = TimeProvider.System.GetTimestamp();
                if (await watch.LookAsync(DateTime.UtcNow, stoppingToken) is { } stall)
                {
                    // Unhealthy until the restarted engine is seen reading again: if it is not, the platform restarts the process.
                    loop.Stalled(stall);
                    return stall;
                }
                loop.Beat("engine running");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or AggregateException)
            {
                // The watch's own storage calls failed: the next probe says whether storage is away.
                loop.Beat("queue watch failed: " + e.GetType().Name);
            }
        }
        return null;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_worker is null) return;
        // Long activities watch this and end early; their work items come back for another worker.
        shutdown.Signal();
        await StopEngineAsync(forced: false);
    }

    /// <summary>
    /// Stops the engine. A graceful stop waits for running work; a long training step may not end in time, and its work
    /// item is then simply redelivered (activities are idempotent), so stopping never hangs on it. False when even the
    /// forced stop did not end in time (the engine is then let go and the process reports itself unhealthy).
    /// </summary>
    private async Task<bool> StopEngineAsync(bool forced)
    {
        if (_worker is not { } worker) return true;
        var service = _service;
        (_worker, _service) = (null, null);
        if (!forced)
        {
            var graceful = worker.StopAsync(isForced: false);
            if (await Task.WhenAny(graceful, Task.Delay(StopGracePeriod, CancellationToken.None)) == graceful)
            {
                service?.Dispose();
                return true;
            }
            logger.LogWarning("Durable worker {WorkerId}: work still running after {Grace}; stopping without it (it is redelivered)", engine.WorkerId, StopGracePeriod);
        }
        var stop = worker.StopAsync(isForced: true);
        if (await Task.WhenAny(stop, Task.Delay(TimeSpan.FromSeconds(60), CancellationToken.None)) != stop)
        {
            logger.LogError("Durable worker {WorkerId}: the engine did not stop within 60 s", engine.WorkerId);
            return false;
        }
        service?.Dispose();
        return true;
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
