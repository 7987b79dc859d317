namespace RftFunctions.Durable.Worker;

/// <summary>
/// A pool's concurrency limit. The receive loop holds a slot while it polls, to know how many messages it may take;
/// a local hand-off may take that slot from it (the loop then waits for a slot for each message it received), so a
/// pool of one is not closed to hand-offs whenever it polls.
/// </summary>
internal sealed class PoolSlots(int limit)
{
    // Not disposed: a hand-off racing with the stop may still release a slot.
    private readonly SemaphoreSlim _slots = new(limit);
    private int _pollerSlot;

    /// <summary>Slots free now.</summary>
    public int Free => _slots.CurrentCount;

    /// <summary>Waits for a slot for the receive loop to poll with.</summary>
    public async Task AcquireForPollAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _pollerSlot, 1);
    }

    /// <summary>After a poll that found messages: true when the loop still holds its slot (no hand-off took it).</summary>
    public bool KeepPollSlot() => Interlocked.Exchange(ref _pollerSlot, 0) == 1;

    /// <summary>After a poll that found nothing: gives the loop's slot back, unless a hand-off took it.</summary>
    public void ReleasePollSlot()
    {
        if (Interlocked.Exchange(ref _pollerSlot, 0) == 1) _slots.Release();
    }

    /// <summary>A slot for a hand-off if one is free now or the receive loop holds one only to poll.</summary>
    public bool TryReserve() => _slots.Wait(0) || Interlocked.Exchange(ref _pollerSlot, 0) == 1;

    /// <summary>Waits for a slot (for a received message, or another invocation of a packed one).</summary>
    public async Task AcquireAsync(CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0, CancellationToken.None)) await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Release() => _slots.Release();
}
