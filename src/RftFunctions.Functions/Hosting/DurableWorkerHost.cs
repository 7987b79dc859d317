using RftFunctions.Durable;

namespace RftFunctions.Functions.Hosting;

/// <summary>
/// Starts the durable worker without letting storage trouble take the host down: while storage is unreachable the
/// start is retried with backoff (and <c>/healthz</c> says what is wrong), so the API stays up and the worker joins as
/// soon as storage answers.
/// </summary>
internal sealed class DurableWorkerHost(DurableTaskWorker worker, ILogger<DurableWorkerHost> logger) : BackgroundService
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private volatile bool _started;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await worker.StartAsync(stoppingToken);
                _started = true;
                logger.LogInformation("Durable worker {WorkerId} started; pools {Pools}", worker.WorkerId, string.Join(",", worker.Pools.Keys));
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is not InvalidOperationException)
            {
                logger.LogError(e, "Durable worker could not start (retrying in {Delay}): {Message}", delay, e.Message);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_started) await worker.StopAsync(cancellationToken);
    }
}
