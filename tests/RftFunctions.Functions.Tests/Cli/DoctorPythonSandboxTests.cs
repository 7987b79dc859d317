using Xunit;

namespace RftFunctions.Functions.Tests.Cli;

/// <summary><c>rft doctor</c> reports whether python graders run sandboxed, unsandboxed (unsafe-none) or not at all.</summary>
public sealed class DoctorPythonSandboxTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Doctor_reports_a_working_sandbox_by_running_a_grader_in_it()
    {
        await using var doctor = HostProcess.Start(new Dictionary<string, string>(), command: "doctor", arguments: ["--no-storage"]);
        Assert.True(await doctor.WaitForExitAsync(Timeout, _ct) == 0, doctor.Output);
        Assert.Contains("\"pythonSandbox\"", doctor.Output, StringComparison.Ordinal);
        Assert.Contains("\"Mode\": \"bubblewrap\"", doctor.Output, StringComparison.Ordinal);
        Assert.Contains("\"Isolated\": true", doctor.Output, StringComparison.Ordinal);
        Assert.Contains("a test grader ran as uid 65534", doctor.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_fails_when_the_sandbox_cannot_be_set_up()
    {
        await using var doctor = HostProcess.Start(new Dictionary<string, string> { ["Rft__PythonGraders__BubblewrapExecutable"] = "/nonexistent/bwrap" },
            command: "doctor", arguments: ["--no-storage"]);
        Assert.True(await doctor.WaitForExitAsync(Timeout, _ct) == 1, doctor.Output);
        Assert.Contains("\"status\": \"failed\"", doctor.Output, StringComparison.Ordinal);
        Assert.Contains("bubblewrap is not installed", doctor.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_warns_in_unsafe_mode()
    {
        await using var doctor = HostProcess.Start(new Dictionary<string, string> { ["Rft__PythonSandbox"] = "unsafe-none" },
            command: "doctor", arguments: ["--no-storage"]);
        Assert.True(await doctor.WaitForExitAsync(Timeout, _ct) == 0, doctor.Output);
        Assert.Contains("\"Mode\": \"unsafe-none\"", doctor.Output, StringComparison.Ordinal);
        Assert.Contains("python graders run WITHOUT a sandbox", doctor.Output, StringComparison.Ordinal);
    }
}
