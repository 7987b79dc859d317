using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RftFunctions.Graders.Python;

namespace RftFunctions.Graders.Tests;

/// <summary>
/// Escape attempts from grader code, each of which worked against the in-process audit hook: every one runs for real
/// inside the bubblewrap sandbox and must find nothing to take. The graders first disarm the audit hook (or go around
/// it) so that what stops them is the sandbox. Each attack raises <c>REPORT {json}</c> with what it saw; the test
/// reads that report, so an attack that silently failed to run cannot pass.
/// </summary>
[Collection(nameof(PythonSandboxEscapeTests))]
public class PythonSandboxEscapeTests(PythonPoolFixture fixture) : IClassFixture<PythonPoolFixture>
{
    /// <summary>Python helpers every attack starts with: disarm the hook, spawn without an audit event, report.</summary>
    private const string Prelude = """
        import gc, json, os, sys, subprocess, _posixsubprocess

        def disarm():
            # The old worker kept its blocklist in a module global; the new one in a closure cell. Clear both.
            main = sys.modules['__main__']
            for name in ('_BLOCKED', '_BLOCKED_EVENTS'):
                if hasattr(main, name):
                    setattr(main, name, ())
            for o in gc.get_objects():
                if type(o).__name__ == 'function' and o.__name__ == '_audit' and o.__closure__:
                    for c in o.__closure__:
                        if isinstance(c.cell_contents, tuple):
                            c.cell_contents = ()

        def run(cmd):
            # _posixsubprocess.fork_exec raises no audit event: the hook never sees this.
            r, w = os.pipe()
            er, ew = os.pipe()
            args = [a.encode() for a in cmd]
            common = (args, [args[0]], True, (), None, None, -1, -1, -1, w, -1, w, er, ew, False, False)
            try:
                pid = _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None)
            except TypeError:
                pid = _posixsubprocess.fork_exec(*common, -1, None, None, None, -1, None, True)
            os.close(w); os.close(ew)
            out = b''
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                out += chunk
            os.waitpid(pid, 0)
            return out.decode(errors='replace')

        def attempt(action):
            try:
                result = action()
                return 'ok:' + str(result)[:200]
            except BaseException as e:
                return 'refused:' + type(e).__name__

        def report(**what):
            raise RuntimeError('REPORT ' + json.dumps(what) + ' END')

        """;

    private static async Task<JsonElement> AttackAsync(PythonGraderPool pool, string body, object? item = null, string? project = null)
    {
        // Each attack in a project of its own, so it meets a fresh worker and not what an earlier attack left in /tmp.
        project ??= $"attacker-{Guid.NewGuid():N}";
        var source = Prelude + body;
        using var itemJson = JsonDocument.Parse(JsonSerializer.Serialize(item ?? new { }));
        using var sample = JsonDocument.Parse("""{"output_text":"x","output_json":null,"output_tools":[],"choices":[]}""");
        var outcome = await pool.GradeAsync(project, new PythonGraderSource(source), sample.RootElement, itemJson.RootElement,
            TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.True(outcome.Status == PythonGradeStatus.RuntimeError, $"{outcome.Status}: {outcome.Details}");
        var details = outcome.Details!;
        var start = details.LastIndexOf("REPORT ", StringComparison.Ordinal);
        var end = details.LastIndexOf(" END", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, details);
        using var report = JsonDocument.Parse(details[(start + 7)..end]);
        return report.RootElement.Clone();
    }

    private static string S(JsonElement report, string name) => report.GetProperty(name).GetString()!;

    [Fact]
    public void The_pool_runs_graders_in_the_bubblewrap_sandbox()
    {
        var status = fixture.Pool.SandboxStatus;
        Assert.True(status.Isolated, $"{status.Message} {status.Detail}");
        Assert.Equal(PythonSandboxMode.Bubblewrap, status.Mode);
    }

    [Fact]
    public async Task Disarmed_audit_hook_then_a_shell_runs_unprivileged_and_finds_no_host_files()
    {
        var report = await AttackAsync(fixture.Pool, """
            def grade(sample, item):
                disarm()
                done = subprocess.run(['/bin/sh', '-c', 'id -u; cat /etc/passwd; ls /root; ls /work; cat /etc/shadow'],
                                      capture_output=True, text=True)
                report(out=done.stdout, err=done.stderr, environ=dict(os.environ))
            """);
        var lines = S(report, "out").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("65534", lines[0]); // the shell ran (the hook was off), as nobody
        Assert.Single(lines);            // and printed nothing else: no passwd, no /root, no repository
        Assert.DoesNotContain("root:", S(report, "err"), StringComparison.Ordinal);
        var environ = report.GetProperty("environ").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Subset(new HashSet<string> { "PATH", "LANG", "HOME", "PWD", "LC_CTYPE" }, environ);
    }

    [Fact]
    public async Task Fork_exec_without_audit_event_spawns_nothing_privileged()
    {
        var report = await AttackAsync(fixture.Pool, """
            def grade(sample, item):
                report(out=run(['/bin/sh', '-c', 'id -u; id -g; cat /etc/passwd 2>&1; cat /proc/1/environ; echo; echo done']))
            """);
        var lines = S(report, "out").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("65534", lines[0]);
        Assert.Equal("65534", lines[1]);
        Assert.Equal("done", lines[^1]);
        Assert.DoesNotContain("root:x:0:0", S(report, "out"), StringComparison.Ordinal);
        Assert.DoesNotContain("AzureWebJobsStorage", S(report, "out"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_files_are_not_there_to_read()
    {
        // A secret the host can read, in the host's temp folder, and a file of this repository.
        var secret = Path.Combine(Path.GetTempPath(), $"rft-secret-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(secret, "storage-account-key", TestContext.Current.CancellationToken);
        try
        {
            var repoFile = typeof(PythonSandboxEscapeTests).Assembly.Location;
            var report = await AttackAsync(fixture.Pool, """
                def grade(sample, item):
                    disarm()
                    paths = ['/etc/passwd', '/etc/hostname', '/root', '/home', '/proc/1/environ', '/sys/class/net'] + item['paths']
                    seen = {}
                    for p in paths:
                        seen[p] = attempt(lambda: os.listdir(p) if os.path.isdir(p) else open(p, 'rb').read(64))
                    report(seen=seen, root=sorted(os.listdir('/')), tmp=sorted(os.listdir('/tmp')))
                """, new { paths = new[] { secret, repoFile, Path.GetDirectoryName(repoFile)!, "/work", "/proc/1/environ" } });
            foreach (var attempt in report.GetProperty("seen").EnumerateObject())
            {
                // /proc/1 is the sandbox's own init: its environment is the sandbox's, which holds no secret.
                if (attempt.Name == "/proc/1/environ") continue;
                Assert.StartsWith("refused:", attempt.Value.GetString()!, StringComparison.Ordinal);
            }
            Assert.Equal(["bin", "dev", "lib", "lib64", "proc", "rft", "tmp", "usr"],
                report.GetProperty("root").EnumerateArray().Select(e => e.GetString()!).ToArray());
            Assert.Empty(report.GetProperty("tmp").EnumerateArray());
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task Writes_outside_the_private_tmp_fail_and_the_worker_script_stays_intact()
    {
        var report = await AttackAsync(fixture.Pool, """
            def grade(sample, item):
                disarm()
                script = sys.modules['__main__'].__file__
                tries = {
                    'script': attempt(lambda: open(script, 'a').write('\nimport os; os.system("id")\n')),
                    'root': attempt(lambda: open('/evil', 'w').write('x')),
                    'usr': attempt(lambda: open('/usr/lib/evil.py', 'w').write('x')),
                    'chmod': attempt(lambda: os.chmod(script, 0o777)),
                    'tmp': attempt(lambda: open('/tmp/mine.txt', 'w').write('mine')),
                    'tmp_huge': attempt(lambda: [open(f'/tmp/fill{i}', 'wb').write(b'x' * (32 << 20)) for i in range(8)]),
                }
                report(tries=tries, script=script)
            """);
        var tries = report.GetProperty("tries");
        foreach (var name in new[] { "script", "root", "usr", "chmod" })
            Assert.StartsWith("refused:", tries.GetProperty(name).GetString()!, StringComparison.Ordinal);
        Assert.StartsWith("ok:", tries.GetProperty("tmp").GetString()!, StringComparison.Ordinal);
        Assert.StartsWith("refused:", tries.GetProperty("tmp_huge").GetString()!, StringComparison.Ordinal); // the tmpfs is bounded
        Assert.Equal(PythonSandbox.ScriptPathInside, S(report, "script"));

        // Later workers start from the untouched script.
        var next = await fixture.Pool.GradeAsync("someone-else", new PythonGraderSource("def grade(sample, item):\n    return 0.5\n"),
            JsonDocument.Parse("{}").RootElement, JsonDocument.Parse("{}").RootElement, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(PythonGradeStatus.Ok, next.Status);
        Assert.Equal(0.5, next.Score);
    }

    [Fact]
    public async Task The_hosts_loopback_is_unreachable_even_with_the_hook_disarmed()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        // The listener really answers on the host.
        using (var probe = new TcpClient())
            await probe.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
        using (await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken)) { }

        var report = await AttackAsync(fixture.Pool, """
            import socket
            def grade(sample, item):
                disarm()
                def connect(host):
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.settimeout(3)
                    s.connect((host, item['port']))
                    return 'connected'
                report(loopback=attempt(lambda: connect('127.0.0.1')), outside=attempt(lambda: connect('10.0.0.1')),
                       interfaces=open('/proc/self/net/dev').read())
            """, new { port });
        Assert.StartsWith("refused:", S(report, "loopback"), StringComparison.Ordinal);
        Assert.StartsWith("refused:", S(report, "outside"), StringComparison.Ordinal);
        Assert.False(listener.Pending());
        var interfaces = S(report, "interfaces").Split('\n').Skip(2).Where(l => l.Contains(':', StringComparison.Ordinal))
            .Select(l => l.Split(':')[0].Trim()).ToList();
        Assert.Equal(["lo"], interfaces);
    }

    [Fact]
    public async Task The_dotnet_diagnostics_socket_and_other_host_unix_sockets_are_out_of_reach()
    {
        // This test process's own diagnostics IPC socket (it lets a client read the process's environment), and a
        // unix socket the test listens on, both in the host's /tmp.
        var tmp = Path.GetTempPath();
        var diagnostics = Directory.GetFiles(tmp, $"dotnet-diagnostic-{Environment.ProcessId}-*-socket");
        var ours = Path.Combine(tmp, $"rft-test-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(ours));
        listener.Listen();
        try
        {
            var report = await AttackAsync(fixture.Pool, """
                import socket, glob
                def grade(sample, item):
                    disarm()
                    def connect(path):
                        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        s.connect(path)
                        return 'connected'
                    tries = {p: attempt(lambda: connect(p)) for p in item['sockets']}
                    report(tries=tries, found=glob.glob('/tmp/dotnet-diagnostic-*') + glob.glob(item['tmp'] + '/dotnet-diagnostic-*'))
                """, new { sockets = diagnostics.Append(ours).ToArray(), tmp });
            foreach (var attempt in report.GetProperty("tries").EnumerateObject())
                Assert.StartsWith("refused:", attempt.Value.GetString()!, StringComparison.Ordinal);
            Assert.Equal(diagnostics.Length + 1, report.GetProperty("tries").EnumerateObject().Count());
            Assert.Empty(report.GetProperty("found").EnumerateArray());
        }
        finally
        {
            File.Delete(ours);
        }
    }

    [Fact]
    public async Task Another_projects_grading_leaves_nothing_to_observe_or_alter()
    {
        // One worker in the whole pool: were workers shared, project B would get the very process project A used.
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions { Workers = 1, CallTimeout = TimeSpan.FromSeconds(30) });
        var spy = Prelude + """
            import builtins, json as _json
            SECRET = 'project-a-secret-source'
            def grade(sample, item):
                disarm()
                open('/tmp/a-was-here.txt', 'w').write(json.dumps(item))
                main = sys.modules['__main__']
                seen = []
                original = main._serve_one
                def spy(line):
                    seen.append(line)
                    open('/tmp/a-spy.log', 'ab').write(line)
                    return original(line)
                main._serve_one = spy
                original_answer = main._answer
                main._answer = lambda obj: original_answer(dict(obj, score=0.99) if 'score' in obj else obj)
                builtins.round = lambda *a: 0.99
                run(['/bin/sh', '-c', 'sleep 30 >/dev/null 2>&1 &'])
                return 1.0
            """;
        using var item = JsonDocument.Parse("""{"reference_answer":"A-ONLY-ANSWER"}""");
        using var sample = JsonDocument.Parse("""{"output_text":"x"}""");
        var a = await pool.GradeAsync("project-a", new PythonGraderSource(spy), sample.RootElement, item.RootElement,
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(a.Status == PythonGradeStatus.Ok, a.Details);

        var b = await pool.GradeAsync("project-b", new PythonGraderSource("def grade(sample, item):\n    return 0.25\n"),
            sample.RootElement, item.RootElement, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(PythonGradeStatus.Ok, b.Status);
        Assert.Equal(0.25, b.Score); // not the 0.99 project A tried to impose

        var report = await AttackAsync(pool, """
            def grade(sample, item):
                main = sys.modules['__main__']
                import builtins
                report(tmp=sorted(os.listdir('/tmp')), serve=main._serve_one.__name__, answer=main._answer.__name__,
                       keys=list(main._modules), round_ok=builtins.round(2.4) == 2,
                       procs=sorted(p for p in os.listdir('/proc') if p.isdigit()))
            """, project: "project-b");
        Assert.Empty(report.GetProperty("tmp").EnumerateArray());
        Assert.Equal("_serve_one", S(report, "serve"));
        Assert.Equal("_answer", S(report, "answer"));
        // Project A's grader was never loaded where project B's run.
        Assert.DoesNotContain(new PythonGraderSource(spy).Key, report.GetProperty("keys").EnumerateArray().Select(k => k.GetString()));
        Assert.True(report.GetProperty("round_ok").GetBoolean());
        Assert.Equal(2, report.GetProperty("procs").GetArrayLength()); // the sandbox's init and this worker: A's sleeper is gone
    }
}
