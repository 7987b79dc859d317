using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RftFunctions.Graders.Python;

/// <summary>
/// How a python grader worker is started: inside a bubblewrap sandbox (the default and the security boundary) or, when
/// an operator chose <see cref="PythonSandboxMode.UnsafeNone"/>, as a plain process. The sandbox runs as uid 65534 in
/// its own user, pid, network, ipc, uts and cgroup namespaces with no network interface but its own loopback; its
/// filesystem is a read-only root holding a read-only <c>/usr</c> (with the <c>/bin</c>, <c>/lib</c>, <c>/lib64</c>
/// links), a private <c>/proc</c> and <c>/dev</c>, a size-limited private <c>/tmp</c> and a read-only copy of the
/// worker script: no <c>/etc</c>, <c>/root</c>, <c>/home</c>, host <c>/tmp</c> (so no .NET diagnostics socket) or
/// repository. The environment holds PATH, LANG and HOME only. The worker script sets the rlimits before any grader
/// code runs.
/// </summary>
public sealed class PythonSandbox
{
    /// <summary>Where the worker script appears inside the sandbox.</summary>
    public const string ScriptPathInside = "/rft/grader_worker.py";

    /// <summary>The uid and gid grader code runs as inside the sandbox.</summary>
    public const int SandboxUid = 65534;

    private const string SetprivPath = "/usr/bin/setpriv";
    private readonly PythonGraderPoolOptions _options;
    private readonly string _scriptPath;
    private readonly Lazy<PythonSandboxStatus> _status;

    /// <summary>Prepares the launcher for the worker script at <paramref name="scriptPath"/> (a host file readable by
    /// <see cref="PythonGraderPoolOptions.SandboxHostUid"/>).</summary>
    public PythonSandbox(PythonGraderPoolOptions options, string scriptPath)
    {
        _options = options;
        _scriptPath = scriptPath;
        _status = new Lazy<PythonSandboxStatus>(Probe);
    }

    /// <summary>Whether the sandbox works here (probed once by starting a sandboxed interpreter).</summary>
    public PythonSandboxStatus Status => _status.Value;

    /// <summary>The command that starts a worker (the worker script with its limits as arguments).</summary>
    internal ProcessStartInfo WorkerStartInfo(string hostWorkDir)
    {
        var limits = new[]
        {
            _options.MemoryLimitBytes.ToString(CultureInfo.InvariantCulture),
            _options.MaxFileBytes.ToString(CultureInfo.InvariantCulture),
            // RLIMIT_NPROC only means something inside the sandbox's own user namespace (see SandboxHostUid).
            (_options.Sandbox == PythonSandboxMode.Bubblewrap ? _options.MaxProcesses : 0).ToString(CultureInfo.InvariantCulture),
            _options.CpuSecondsPerWorker.ToString(CultureInfo.InvariantCulture),
        };
        return _options.Sandbox == PythonSandboxMode.Bubblewrap
            ? SandboxedStartInfo(["-I", "-B", ScriptPathInside, .. limits])
            : PlainStartInfo(hostWorkDir, ["-I", "-B", _scriptPath, .. limits]);
    }

    private ProcessStartInfo SandboxedStartInfo(IReadOnlyList<string> pythonArguments)
    {
        var bwrap = new List<string>
        {
            "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
            "--uid", SandboxUid.ToString(CultureInfo.InvariantCulture), "--gid", SandboxUid.ToString(CultureInfo.InvariantCulture),
            "--hostname", "grader",
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
            "--proc", "/proc", "--dev", "/dev",
            "--size", _options.TmpBytes.ToString(CultureInfo.InvariantCulture), "--tmpfs", "/tmp",
            "--ro-bind", _scriptPath, ScriptPathInside,
            "--remount-ro", "/",
            "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", "/tmp",
            "--chdir", "/tmp",
            "--", _options.SandboxPython,
        };
        bwrap.AddRange(pythonArguments);
        ProcessStartInfo psi;
        if (HostIsRoot())
        {
            // bwrap maps the sandbox uid to the uid it runs as; as root that would exempt the sandbox from RLIMIT_NPROC.
            psi = NewStartInfo(SetprivPath, "/");
            var uid = _options.SandboxHostUid.ToString(CultureInfo.InvariantCulture);
            foreach (var a in new[] { "--reuid", uid, "--regid", uid, "--clear-groups", "--", _options.BubblewrapExecutable }) psi.ArgumentList.Add(a);
        }
        else
        {
            psi = NewStartInfo(_options.BubblewrapExecutable, "/");
        }
        foreach (var a in bwrap) psi.ArgumentList.Add(a);
        return psi;
    }

    private ProcessStartInfo PlainStartInfo(string workDir, IReadOnlyList<string> pythonArguments)
    {
        var psi = NewStartInfo(_options.PythonExecutable, workDir);
        foreach (var a in pythonArguments) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = workDir;
        return psi;
    }

    private static ProcessStartInfo NewStartInfo(string fileName, string workDir)
    {
        var psi = new ProcessStartInfo
        {
            FileName = fileName,
            WorkingDirectory = workDir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        // No secret of the host (storage keys, API keys) may reach a worker.
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        psi.Environment["LANG"] = "C.UTF-8";
        psi.Environment["HOME"] = "/";
        return psi;
    }

    private PythonSandboxStatus Probe()
    {
        if (_options.Sandbox == PythonSandboxMode.UnsafeNone)
            return new PythonSandboxStatus(PythonSandboxMode.UnsafeNone, false, "python graders run WITHOUT a sandbox (unsafe-none): grader code can read and write what this host can");
        if (!OperatingSystem.IsLinux())
            return Unavailable("the bubblewrap sandbox needs Linux");
        if (!File.Exists(_options.BubblewrapExecutable))
            return Unavailable($"bubblewrap is not installed (no {Path.GetFileName(_options.BubblewrapExecutable)} at the configured path; Debian package 'bubblewrap')");
        if (HostIsRoot() && !File.Exists(SetprivPath))
            return Unavailable("the host runs as root and setpriv (util-linux) is missing, so the sandbox cannot drop to an unprivileged uid");
        try
        {
            var psi = SandboxedStartInfo(["-I", "-c", "import os; print(os.getuid(), os.path.exists('/etc'))"]);
            using var p = Process.Start(psi);
            if (p is null) return Unavailable("bubblewrap did not start");
            p.StandardInput.Close();
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromSeconds(20)))
            {
                p.Kill(entireProcessTree: true);
                return Unavailable("the bubblewrap probe did not finish within 20 s");
            }
            var output = stdout.GetAwaiter().GetResult().Trim();
            var expected = $"{SandboxUid} False";
            if (p.ExitCode == 0 && output == expected)
                return new PythonSandboxStatus(PythonSandboxMode.Bubblewrap, true, "python graders run in a bubblewrap sandbox");
            var error = stderr.GetAwaiter().GetResult().Trim();
            return Unavailable($"the bubblewrap sandbox failed to start (exit code {p.ExitCode})", Tail(error.Length > 0 ? error : output));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return Unavailable("bubblewrap could not be started", e.Message);
        }
    }

    private static PythonSandboxStatus Unavailable(string reason, string? detail = null) => new(PythonSandboxMode.Bubblewrap, false, reason, detail);

    private static string Tail(string text) => text.Length <= 300 ? text : text[^300..];

    /// <summary>True when this process runs as uid 0 (read from /proc, no native interop needed).</summary>
    internal static bool HostIsRoot()
    {
        if (!OperatingSystem.IsLinux()) return false;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("Uid:", StringComparison.Ordinal)) continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 2 && fields[2] == "0"; // effective uid
        }
        return false;
    }
}

/// <summary>Whether python graders can run here, and why not.</summary>
/// <param name="Mode">The configured mode.</param>
/// <param name="Isolated">True when workers run inside the bubblewrap sandbox.</param>
/// <param name="Message">What holds, or why the sandbox cannot be set up (shown to API callers: no server paths).</param>
/// <param name="Detail">For operators (logs, <c>rft doctor</c>): what bubblewrap said, when it failed.</param>
public sealed record PythonSandboxStatus(PythonSandboxMode Mode, bool Isolated, string Message, string? Detail = null)
{
    /// <summary>True when python graders may run: the sandbox works, or the operator chose unsafe-none.</summary>
    public bool Usable => Isolated || Mode == PythonSandboxMode.UnsafeNone;
}
