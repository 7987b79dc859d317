using Azure;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Functions.Durable;
using Xunit;

namespace RftFunctions.Functions.Tests.Durable;

/// <summary>
/// An activity that fails because storage does not answer runs again inside its work item (issue 22), so a storage
/// outage longer than the orchestration's retry policy does not fail a sound job; any other failure ends it at once.
/// </summary>
public sealed class OutageTolerantActivityTests
{
    [Fact]
    public async Task An_activity_failing_on_storage_outages_runs_again_until_storage_answers()
    {
        var inner = new Flaky(failures: [new RequestFailedException("Connection refused"), new AggregateException(new HttpRequestException("refused")), new RequestFailedException(503, "server busy")]);
        using var shutdown = new WorkerShutdown();
        var activity = new OutageTolerantActivity("Flaky", inner, shutdown, NullLogger.Instance) { FirstDelay = TimeSpan.FromMilliseconds(10) };

        var result = await activity.RunAsync(new Context(), 20);

        Assert.Equal(21, result);
        Assert.Equal(4, inner.Calls);
    }

    [Fact]
    public async Task Any_other_failure_ends_the_activity_at_once()
    {
        var inner = new Flaky(failures: [new RequestFailedException(404, "blob not found"), new RequestFailedException("Connection refused")]);
        using var shutdown = new WorkerShutdown();
        var activity = new OutageTolerantActivity("Flaky", inner, shutdown, NullLogger.Instance) { FirstDelay = TimeSpan.FromMilliseconds(10) };

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => activity.RunAsync(new Context(), 20));

        Assert.Equal(404, failure.Status);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task A_stopping_worker_ends_the_wait()
    {
        var inner = new Flaky(failures: [.. Enumerable.Range(0, 100).Select(_ => new RequestFailedException("Connection refused"))]);
        using var shutdown = new WorkerShutdown();
        var activity = new OutageTolerantActivity("Flaky", inner, shutdown, NullLogger.Instance) { FirstDelay = TimeSpan.FromSeconds(30) };

        var run = activity.RunAsync(new Context(), 20);
        shutdown.Signal();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
        Assert.Equal(1, inner.Calls);
    }

    private sealed class Flaky(Exception[] failures) : ITaskActivity
    {
        public int Calls { get; private set; }

        public Type InputType => typeof(int);

        public Type OutputType => typeof(int);

        public Task<object?> RunAsync(TaskActivityContext context, object? input)
        {
            Calls++;
            return Calls <= failures.Length ? Task.FromException<object?>(failures[Calls - 1]) : Task.FromResult<object?>((int)input! + 1);
        }
    }

    private sealed class Context : TaskActivityContext
    {
        public override TaskName Name => new("Flaky");

        public override string InstanceId => "instance";
    }
}
