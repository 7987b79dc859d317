using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// Python graders through the running app: each project's graders run in that project's own sandboxed workers (the
/// project comes from the API key), sources that do not compile are refused with 400 naming the field, and a host
/// without a working sandbox refuses python graders (400 at validate, run and job create; an error at start-up)
/// unless the operator chose <c>Rft:PythonSandbox=unsafe-none</c>, which then warns on every use.
/// </summary>
public sealed class PythonGraderSandboxApiTests(StorageFixture storage)
{
    private static string Python(string source, string name = "py") => JsonSerializer.Serialize(new { type = "python", name, source });

    private static string Run(string grader, string item = "{}") => $$"""{"grader":{{grader}},"model_sample":"x","item":{{item}}}""";

    private const string Ok = "def grade(sample, item):\n    return 0.5\n";
    private const string Broken = "def grade(sample, item):\n    return (1 +\n";

    [Fact]
    public async Task One_projects_grader_cannot_observe_another_projects_grading()
    {
        // One worker for the whole process: were workers shared, project B would run in project A's process.
        await using var server = await ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:PythonGraders:Workers"] = "1" });
        using var a = server.Client(await server.CreateKeyAsync("project-a"));
        using var b = server.Client(await server.CreateKeyAsync("project-b"));

        const string look = "    return float(len(os.listdir('/tmp')) + hasattr(sys.modules['__main__'], 'LEFT_BY_A'))\n";
        const string leave = "import json, os, sys\ndef grade(sample, item):\n    open('/tmp/left-by-a.json', 'w').write(json.dumps(item))\n" +
                             "    sys.modules['__main__'].LEFT_BY_A = item\n" + look;
        var first = await ApiAssert.OkAsync(await a.PostJson("v1/fine_tuning/alpha/graders/run", Run(Python(leave), """{"answer":"A-SECRET"}""")));
        Assert.Equal(2.0, first.GetProperty("reward").GetDouble()); // A's traces exist where A runs

        var second = await ApiAssert.OkAsync(await b.PostJson("v1/fine_tuning/alpha/graders/run", Run(Python("import os, sys\ndef grade(sample, item):\n" + look))));
        Assert.False(second.GetProperty("metadata").GetProperty("errors").GetProperty("python_grader_runtime_error").GetBoolean(), second.ToString());
        Assert.Equal(0.0, second.GetProperty("reward").GetDouble());
    }

    [Fact]
    public async Task Sources_that_do_not_compile_are_refused_at_validate_and_run_naming_the_field()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        var error = await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{Python(Broken)}}}"""), 400, "grader.source");
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("SyntaxError", message, StringComparison.Ordinal);
        Assert.Contains("line 2", message, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", message, StringComparison.Ordinal);

        var multi = """{"type":"multi","name":"m","calculate_output":"ok + bad","graders":{"ok":""" + Python(Ok, "ok") + ",\"bad\":" + Python(Broken, "bad") + "}}";
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{multi}}}"""), 400, "grader.graders.bad.source");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", Run(Python(Broken))), 400, "grader.source");

        // Compiling runs no code: a source whose top level would loop forever still validates at once.
        var loops = Python("while True:\n    pass\n" + Ok);
        await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{loops}}}"""));
        await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{Python(Ok)}}}"""));
    }

    [Fact]
    public async Task Jobs_with_python_graders_that_do_not_compile_are_refused_at_create()
    {
        await using var server = await JobsApiServer.StartAsync(storage);
        using var client = await server.ClientAsync("compile-check");
        var body = JobFixtures.CreateBody("tiny", "file-t", "file-v").Replace(JobFixtures.Grader, Python(Broken), StringComparison.Ordinal);
        var error = await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/jobs", body), 400, "method.reinforcement.grader.source");
        Assert.Contains("SyntaxError", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var jobs = await ApiAssert.OkAsync(await client.Get("v1/fine_tuning/jobs"));
        Assert.Empty(jobs.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Without_bubblewrap_python_graders_are_refused_with_a_clear_error_and_the_start_up_log_says_so()
    {
        var logs = new CapturedLogs();
        var settings = new Dictionary<string, string?> { ["Rft:PythonGraders:BubblewrapExecutable"] = "/nonexistent/rft-test/bwrap" };
        await using var server = await ApiServer.StartAsync(storage, settings, s => s.AddSingleton<ILoggerProvider>(logs));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("Python graders are REFUSED", StringComparison.Ordinal));
        using var client = server.Client();

        var validate = await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{Python(Ok)}}}"""), 400, "grader");
        var message = validate.GetProperty("message").GetString()!;
        Assert.Contains("python graders are disabled on this server", message, StringComparison.Ordinal);
        Assert.Contains("bubblewrap is not installed", message, StringComparison.Ordinal);
        Assert.DoesNotContain("/nonexistent", message, StringComparison.Ordinal); // no server paths
        Assert.Equal("python_grader_unavailable", validate.GetProperty("code").GetString());
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", Run(Python(Ok))), 400, "grader");
        var multi = """{"type":"multi","name":"m","calculate_output":"py","graders":{"py":""" + Python(Ok) + "}}";
        await ApiAssert.ErrorAsync(await client.PostJson("v1/fine_tuning/alpha/graders/validate", $$"""{"grader":{{multi}}}"""), 400, "grader.graders.py");
        // Other graders are unaffected.
        await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run",
            Run("""{"type":"string_check","name":"s","input":"x","reference":"x","operation":"eq"}""")));

        await using var jobsServer = await JobsApiServer.StartAsync(storage, settings);
        using var jobsClient = await jobsServer.ClientAsync("no-sandbox");
        var body = JobFixtures.CreateBody("tiny", "file-t", "file-v").Replace(JobFixtures.Grader, Python(Ok), StringComparison.Ordinal);
        await ApiAssert.ErrorAsync(await jobsClient.PostJson("v1/fine_tuning/jobs", body), 400, "method.reinforcement.grader");
    }

    [Fact]
    public async Task Unsafe_mode_runs_python_graders_and_warns_on_every_use()
    {
        var logs = new CapturedLogs();
        await using var server = await ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:PythonSandbox"] = "unsafe-none" },
            s => s.AddSingleton<ILoggerProvider>(logs));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("WITHOUT a sandbox", StringComparison.Ordinal));
        using var client = server.Client();
        int Warnings() => logs.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("runs WITHOUT a sandbox", StringComparison.Ordinal));

        var before = Warnings();
        for (var i = 0; i < 3; i++)
        {
            var result = await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", Run(Python(Ok))));
            Assert.Equal(0.5, result.GetProperty("reward").GetDouble());
        }
        // Each run compiles (admission) and grades: two uses, two warnings.
        Assert.Equal(before + 6, Warnings());
    }

    [Fact]
    public async Task An_unknown_sandbox_mode_is_a_start_up_error_not_a_silent_downgrade()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ApiServer.StartAsync(storage, new Dictionary<string, string?> { ["Rft:PythonSandbox"] = "none" }));
        Assert.Contains("Rft:PythonSandbox", e.Message, StringComparison.Ordinal);
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
