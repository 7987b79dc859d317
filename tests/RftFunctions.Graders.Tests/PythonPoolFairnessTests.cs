using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RftFunctions.Graders.Python;

namespace RftFunctions.Graders.Tests;

/// <summary>
/// What one project's graders can do to the machine and to other projects: forever-looping graders are killed at the
/// call timeout and hold at most their project's share of the pool meanwhile, and a fork bomb stays inside its
/// sandbox's process limit.
/// </summary>
[Collection(nameof(PythonPoolFairnessTests))]
public class PythonPoolFairnessTests
{
    private static readonly JsonElement Sample = JsonDocument.Parse("""{"output_text":"x"}""").RootElement;
    private static readonly JsonElement Item = JsonDocument.Parse("{}").RootElement;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_project_looping_forever_cannot_stall_another_project()
    {
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions { Workers = 2 });
        var forever = new PythonGraderSource("def grade(sample, item):\n    while True:\n        pass\n");
        using var cancelSecond = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var a1 = pool.GradeAsync("project-a", forever, Sample, Item, TimeSpan.FromSeconds(10), Ct);
        var a2 = pool.GradeAsync("project-a", forever, Sample, Item, TimeSpan.FromSeconds(10), cancelSecond.Token);
        // Wait (against hangs only) until project A holds its share of the pool.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (pool.RunningCalls < 1) await Task.Delay(20, deadline.Token);
        }

        var b = await pool.GradeAsync("project-b", new PythonGraderSource("def grade(sample, item):\n    return 0.75\n"), Sample, Item, TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(PythonGradeStatus.Ok, b.Status);
        Assert.Equal(0.75, b.Score);
        // Project B was served while project A's loops still ran (A's calls end only at their 10 s timeout).
        Assert.False(a1.IsCompleted);
        Assert.False(a2.IsCompleted);

        var first = await a1;
        Assert.Equal(PythonGradeStatus.ServerError, first.Status);
        Assert.Equal("timeout", first.ServerErrorType);
        await cancelSecond.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a2);
    }

    [Fact]
    public async Task Round_robin_serves_a_waiting_project_before_more_of_a_busy_one()
    {
        // One slot: project A queues three calls, then project B one; B's call must not wait behind all of A's.
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions { Workers = 1 });
        var order = new List<string>();
        var slow = new PythonGraderSource("import time\ndef grade(sample, item):\n    time.sleep(0.3)\n    return 1.0\n");
        async Task Run(string project, string name)
        {
            var outcome = await pool.GradeAsync(project, slow, Sample, Item, TimeSpan.FromSeconds(60), Ct);
            Assert.Equal(PythonGradeStatus.Ok, outcome.Status);
            lock (order) order.Add(name);
        }
        var a = new List<Task> { Run("project-a", "a1") };
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (pool.RunningCalls < 1) await Task.Delay(20, deadline.Token);
        }
        a.Add(Run("project-a", "a2"));
        a.Add(Run("project-a", "a3"));
        var b = Run("project-b", "b1");
        await Task.WhenAll([.. a, b]);
        Assert.Equal(["a1", "a2", "b1", "a3"], order);
    }

    [Fact]
    public async Task A_fork_bomb_stays_within_the_sandboxs_process_limit()
    {
        // A host uid of its own, so this test can count the sandbox's processes on the host without seeing other tests'.
        const int hostUid = 61_234;
        const int limit = 16;
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions
        {
            Workers = 1,
            MaxProcesses = limit,
            SandboxHostUid = hostUid,
            CallTimeout = TimeSpan.FromSeconds(60),
        });
        // As root (CI), bubblewrap runs as hostUid and the host-side count below sees only this sandbox; otherwise the
        // sandbox maps to this test's own uid, which other processes share, and only the inside count applies.
        var countOnHost = PythonSandbox.HostIsRoot();
        Assert.True(pool.SandboxStatus.Isolated, pool.SandboxStatus.Message); // the probe's processes are gone before we count

        // The bomb is bounded itself (200 children at most), so a broken sandbox fails this test without harming the host.
        var bomb = new PythonGraderSource("""
            import os, time, _posixsubprocess
            def spawn():
                # fork_exec raises no audit event; the hook never sees these.
                args = [b'/bin/sleep', b'20']
                er, ew = os.pipe()
                try:
                    common = (args, [args[0]], True, (), None, None, -1, -1, -1, -1, -1, -1, er, ew, False, False)
                    try:
                        return _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None)
                    except TypeError:
                        return _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None, True)
                finally:
                    os.close(er)
                    os.close(ew)
            def grade(sample, item):
                started = refused = 0
                for _ in range(200):
                    try:
                        spawn()
                        started += 1
                    except OSError:
                        refused += 1
                peak = len([p for p in os.listdir('/proc') if p.isdigit()])
                raise RuntimeError(f'REPORT {started} {refused} {peak} END')
            """);
        var peakOnHost = 0;
        using var stopWatching = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stopWatching.IsCancellationRequested)
            {
                peakOnHost = Math.Max(peakOnHost, ProcessesOf(hostUid));
                await Task.Delay(5, CancellationToken.None);
            }
        }, CancellationToken.None);

        var outcome = await pool.GradeAsync(bomb, Sample, Item, cancellationToken: Ct);
        await stopWatching.CancelAsync();
        await watcher;

        Assert.True(outcome.Status == PythonGradeStatus.RuntimeError, $"{outcome.Status}: {outcome.Details}");
        var details = outcome.Details!;
        Assert.True(details.Contains("REPORT ", StringComparison.Ordinal), details);
        var fields = details[(details.LastIndexOf("REPORT ", StringComparison.Ordinal) + 7)..].Split(' ');
        int started = int.Parse(fields[0], CultureInfo.InvariantCulture), refused = int.Parse(fields[1], CultureInfo.InvariantCulture);
        int peakInside = int.Parse(fields[2], CultureInfo.InvariantCulture);
        Assert.True(refused > 0, outcome.Details);
        Assert.True(started + refused == 200, outcome.Details);
        Assert.True(peakInside <= limit, $"{peakInside} processes inside the sandbox, limit {limit}");
        // On the host: the sandbox's processes plus bubblewrap's monitor outside it.
        if (countOnHost) Assert.True(peakOnHost <= limit + 1, $"{peakOnHost} processes of uid {hostUid} on the host, limit {limit}");

        // The sleepers the bomb left are gone with its worker, and the host and the pool still work.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (countOnHost && ProcessesOf(hostUid) > 0) await Task.Delay(20, deadline.Token);
        }
        using (var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!)
        {
            await child.WaitForExitAsync(Ct);
            Assert.Equal(0, child.ExitCode);
        }
        var after = await pool.GradeAsync(new PythonGraderSource("def grade(sample, item):\n    return 1.0\n"), Sample, Item, cancellationToken: Ct);
        Assert.Equal(PythonGradeStatus.Ok, after.Status);
    }

    /// <summary>Processes on this host whose real uid is <paramref name="uid"/> (from /proc/PID/status).</summary>
    private static int ProcessesOf(int uid)
    {
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _)) continue;
            try
            {
                var zombie = false;
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("State:", StringComparison.Ordinal)) zombie = line.Contains('Z', StringComparison.Ordinal);
                    if (!line.StartsWith("Uid:", StringComparison.Ordinal)) continue;
                    // Exited processes not yet reaped hold nothing and cannot fork.
                    if (!zombie && line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1] == uid.ToString(CultureInfo.InvariantCulture)) count++;
                    break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we read it.
            }
        }
        return count;
    }
}
