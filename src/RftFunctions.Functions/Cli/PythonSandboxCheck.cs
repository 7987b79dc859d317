using RftFunctions.Functions.Api.Graders;
using RftFunctions.Graders.Python;

namespace RftFunctions.Functions.Cli;

/// <summary>
/// <c>rft doctor</c>'s python grader check: the configured sandbox mode and whether a sandboxed worker really starts
/// and grades here. Fails when python graders would be refused; passes with a warning in unsafe-none mode.
/// </summary>
public static class PythonSandboxCheck
{
    /// <summary>The check's result.</summary>
    /// <param name="Ok">False when this host refuses python graders.</param>
    /// <param name="Mode"><c>bubblewrap</c> or <c>unsafe-none</c>.</param>
    /// <param name="Isolated">True when graders run sandboxed.</param>
    /// <param name="Message">The state in words.</param>
    /// <param name="Detail">What bubblewrap said, when it failed.</param>
    /// <param name="Warning">Set in unsafe-none mode.</param>
    public sealed record Result(bool Ok, string Mode, bool Isolated, string Message, string? Detail, string? Warning);

    /// <summary>Probes the sandbox the configuration asks for and grades one sample in it.</summary>
    public static async Task<Result> RunAsync(IConfiguration configuration)
    {
        PythonGraderPoolOptions options;
        try
        {
            options = PythonGraderRegistration.ReadOptions(configuration);
        }
        catch (InvalidOperationException e)
        {
            return new Result(false, configuration[PythonGraderRegistration.ModeSetting] ?? "", false, e.Message, null, null);
        }
        await using var pool = new PythonGraderPool(options with { Workers = 1 });
        var status = pool.SandboxStatus;
        var mode = status.Mode == PythonSandboxMode.UnsafeNone ? "unsafe-none" : "bubblewrap";
        if (!status.Usable) return new Result(false, mode, false, status.Message, status.Detail, null);

        using var sample = System.Text.Json.JsonDocument.Parse("{\"output_text\":\"ok\"}");
        using var item = System.Text.Json.JsonDocument.Parse("{}");
        var outcome = await pool.GradeAsync(new PythonGraderSource("import os\ndef grade(sample, item):\n    return float(os.getuid())\n"),
            sample.RootElement, item.RootElement, TimeSpan.FromSeconds(30));
        var graded = outcome.Status == PythonGradeStatus.Ok;
        var message = graded
            ? $"{status.Message}; a test grader ran as uid {outcome.Score:0}"
            : $"{status.Message}; but a test grader failed: {outcome.Details}";
        return new Result(graded, mode, status.Isolated, message, status.Detail,
            status.Isolated ? null : "python graders run WITHOUT a sandbox: untrusted grader code can read this host's files and secrets");
    }
}
