namespace RftFunctions.Graders.Python;

/// <summary>
/// Hands the pool's worker slots to waiting calls fairly: at most <c>slots</c> calls run at once, at most
/// <c>perProject</c> of them for one project, and projects with waiting calls are served round-robin, so a project
/// that queues many slow calls delays its own calls, not another project's.
/// </summary>
internal sealed class PythonGraderScheduler(int slots, int perProject)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, Tenant> _tenants = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _ring = new(); // projects with waiting calls, next to serve first
    private int _busy;

    /// <summary>Calls running now.</summary>
    public int Busy
    {
        get
        {
            lock (_lock) return _busy;
        }
    }

    /// <summary>Waits for a slot for <paramref name="project"/>; dispose the lease to give it back.</summary>
    public async Task<IDisposable> AcquireAsync(string project, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            var tenant = TenantOf(project);
            node = tenant.Waiters.AddLast(waiter);
            if (tenant.Waiters.Count == 1) _ring.AddLast(project);
            Pump();
        }
        await using (ct.Register(() => Abandon(project, node)).ConfigureAwait(false))
            await waiter.Task.ConfigureAwait(false);
        return new Lease(this, project);
    }

    private void Abandon(string project, LinkedListNode<TaskCompletionSource> node)
    {
        lock (_lock)
        {
            // Granted already: the caller owns the slot and gives it back itself.
            if (node.List is null || !_tenants.TryGetValue(project, out var tenant)) return;
            tenant.Waiters.Remove(node);
            if (tenant.Waiters.Count == 0) _ring.Remove(project);
            Forget(project, tenant);
            node.Value.TrySetCanceled();
        }
    }

    private void Release(string project)
    {
        lock (_lock)
        {
            _busy--;
            var tenant = _tenants[project];
            tenant.Running--;
            Forget(project, tenant);
            Pump();
        }
    }

    // Under the lock: grant slots while some project with waiters is under its limit.
    private void Pump()
    {
        var skipped = 0;
        while (_busy < slots && _ring.First is { } first && skipped < _ring.Count)
        {
            var project = first.Value;
            var tenant = _tenants[project];
            _ring.RemoveFirst();
            if (tenant.Running >= perProject)
            {
                _ring.AddLast(project); // at its limit: the next project's turn
                skipped++;
                continue;
            }
            skipped = 0;
            var waiter = tenant.Waiters.First!;
            tenant.Waiters.RemoveFirst();
            tenant.Running++;
            _busy++;
            if (tenant.Waiters.Count > 0) _ring.AddLast(project);
            waiter.Value.TrySetResult();
        }
    }

    private Tenant TenantOf(string project)
    {
        if (!_tenants.TryGetValue(project, out var tenant)) _tenants[project] = tenant = new Tenant();
        return tenant;
    }

    private void Forget(string project, Tenant tenant)
    {
        if (tenant.Running == 0 && tenant.Waiters.Count == 0) _tenants.Remove(project);
    }

    private sealed class Tenant
    {
        public int Running;
        public readonly LinkedList<TaskCompletionSource> Waiters = new();
    }

    private sealed class Lease(PythonGraderScheduler owner, string project) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Release(project);
        }
    }
}
