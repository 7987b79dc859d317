using RftFunctions.Functions.Jobs;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

/// <summary>
/// A step's event is recorded once even when a re-run episode (a worker killed after sending its activities, before
/// storing its history) asks again with a new sequence; a redelivery with the same sequence still writes.
/// </summary>
public sealed class EventOnceTests(StorageFixture storage)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_steps_event_asked_for_twice_with_two_sequences_is_written_once()
    {
        var store = new JobStore(storage.Account, new JobStorageOptions
        {
            Container = storage.UniqueName("jobs"),
            JobsTable = storage.UniqueName("Jobs").Replace("-", "", StringComparison.Ordinal),
            EventsTable = storage.UniqueName("Events").Replace("-", "", StringComparison.Ordinal),
            CheckpointsTable = storage.UniqueName("Ckpts").Replace("-", "", StringComparison.Ordinal),
        });
        static JobEventObject Metrics(string text) => new() { Id = "", CreatedAt = 1, Level = "info", Message = text, Type = "metrics" };

        Assert.True(await store.AppendEventOnceAsync("ftjob-once", "metrics-000001", 1000, Metrics("first"), Ct));
        // The same activity redelivered: same sequence, written again (idempotent upsert).
        Assert.True(await store.AppendEventOnceAsync("ftjob-once", "metrics-000001", 1000, Metrics("first"), Ct));
        // The re-run episode's request: another sequence for the same step.
        Assert.False(await store.AppendEventOnceAsync("ftjob-once", "metrics-000001", 2000, Metrics("again"), Ct));
        Assert.True(await store.AppendEventOnceAsync("ftjob-once", "metrics-000002", 3000, Metrics("second"), Ct));

        var (events, more) = await store.ListEventsAsync("ftjob-once", null, 100, Ct);
        Assert.False(more);
        Assert.Equal(["second", "first"], events.Select(e => e.Message));
    }
}
