using Azure;
using Microsoft.DurableTask;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Cancel reaches a running step. The orchestration sees the cancel event only between steps, and a step can run for
/// minutes, so cancel also writes a marker blob (<c>{jobId}/cancel-requested</c>); the step's activities poll it
/// every <see cref="PollInterval"/> while they sample or train and stop with <see cref="JobCancelledException"/>,
/// which the orchestration takes as "finish the cancel" rather than as a failure. An activity of a job already
/// marked (queued work redelivered after a kill) stops before it loads anything. The host's stopping token is linked
/// in, so SIGTERM stops a running step the same way (the work item is then abandoned and redelivered, not failed).
/// </summary>
public static class JobCancellation
{
    /// <summary>How often a running activity looks for the marker: cancel lands within about this long.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(300);

    /// <summary>The marker's blob name in the jobs container.</summary>
    public static string MarkerBlob(string jobId) => $"{jobId}/cancel-requested";

    /// <summary>Marks the job cancel-requested (idempotent).</summary>
    public static async Task RequestAsync(JobStore store, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        await store.Container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await store.Container.GetBlobClient(MarkerBlob(jobId)).UploadAsync(BinaryData.FromString(DateTime.UtcNow.ToString("O")), overwrite: true, cancellationToken);
    }

    /// <summary>Whether cancel was requested for the job.</summary>
    public static async Task<bool> IsRequestedAsync(JobStore store, string jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        try
        {
            return (await store.Container.GetBlobClient(MarkerBlob(jobId)).ExistsAsync(cancellationToken)).Value;
        }
        catch (RequestFailedException)
        {
            return false; // storage hiccup: the next poll (or the orchestration between steps) catches it
        }
    }

    /// <summary>
    /// Starts watching the job for the duration of an activity; throws <see cref="JobCancelledException"/> at once when
    /// the job is already marked.
    /// </summary>
    public static async Task<Watch> WatchAsync(JobStore store, string jobId, CancellationToken hostStopping)
    {
        if (await IsRequestedAsync(store, jobId, hostStopping)) throw new JobCancelledException(jobId);
        return new Watch(store, jobId, hostStopping);
    }

    /// <summary>True when a task failure (or its inner failure) is a job cancellation.</summary>
    public static bool IsCancellation(TaskFailureDetails? failure)
    {
        for (var f = failure; f is not null; f = f.InnerFailure)
            if (f.ErrorType == typeof(JobCancelledException).FullName || f.ErrorMessage.Contains(JobCancelledException.Tag, StringComparison.Ordinal))
                return true;
        return false;
    }

    /// <summary>A running activity's view of the job's cancellation, linked with the host's stopping token.</summary>
    public sealed class Watch : IAsyncDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly Task _polling;
        private readonly string _jobId;
        private volatile bool _requested;

        internal Watch(JobStore store, string jobId, CancellationToken hostStopping)
        {
            _jobId = jobId;
            _source = CancellationTokenSource.CreateLinkedTokenSource(hostStopping);
            _polling = PollAsync(store, _source.Token);
        }

        /// <summary>Cancelled when the job is cancelled or the host stops.</summary>
        public CancellationToken Token => _source.Token;

        /// <summary>
        /// Runs CPU-bound work that observes <see cref="Token"/>; a stop caused by the job's cancel becomes
        /// <see cref="JobCancelledException"/>, one caused by the host stopping stays an <see cref="OperationCanceledException"/>.
        /// </summary>
        public T Run<T>(Func<CancellationToken, T> work)
        {
            ArgumentNullException.ThrowIfNull(work);
            try
            {
                return work(Token);
            }
            catch (OperationCanceledException) when (_requested)
            {
                throw new JobCancelledException(_jobId);
            }
        }

        /// <summary>The asynchronous form of <see cref="Run{T}"/>.</summary>
        public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> work)
        {
            ArgumentNullException.ThrowIfNull(work);
            try
            {
                return await work(Token);
            }
            catch (OperationCanceledException) when (_requested)
            {
                throw new JobCancelledException(_jobId);
            }
        }

        private async Task PollAsync(JobStore store, CancellationToken token)
        {
            try
            {
                while (!token.IsCancellationRequested)
                {
                    await Task.Delay(PollInterval, token);
                    if (await IsRequestedAsync(store, _jobId, token))
                    {
                        _requested = true;
                        await _source.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // The activity finished or the host is stopping.
            }
        }

        /// <inheritdoc />
        public async ValueTask DisposeAsync()
        {
            if (!_source.IsCancellationRequested) await _source.CancelAsync();
            await _polling;
            _source.Dispose();
        }
    }
}

/// <summary>A step's activity stopped because its job was cancelled (not a failure of the job).</summary>
public sealed class JobCancelledException(string jobId) : Exception($"{Tag} job {jobId} was cancelled; the step stopped")
{
    /// <summary>Marks the message, so the cancellation is recognised even where only the message travels.</summary>
    public const string Tag = "[job-cancelled]";
}
