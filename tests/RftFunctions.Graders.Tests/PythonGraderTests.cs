using System.Text.Json;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Tests;

[Collection(nameof(PythonGraderTests))]
public class PythonGraderTests(PythonPoolFixture fixture) : IClassFixture<PythonPoolFixture>
{
    private GraderServices Services => new() { Python = fixture.Pool };

    private static string PythonGrader(string source) =>
        JsonSerializer.Serialize(new { type = "python", name = "py", source });

    private const string Healthy = """
        def grade(sample, item):
            return 1.0 if sample["output_text"].strip() == item["answer"] else 0.25
        """;

    private async Task<GraderResult> Run(string source, string output = "42", string item = """{"answer":"42"}""") =>
        await TestJson.Grade(PythonGrader(source), output, item, Services);

    private async Task AssertHealthy()
    {
        var ok = await Run(Healthy);
        Assert.False(ok.Errors.Any, string.Join("; ", ok.Errors.SetFlags));
        Assert.Equal(1.0, ok.Reward);
        var miss = await Run(Healthy, output: "41");
        Assert.Equal(0.25, miss.Reward);
    }

    [Fact]
    public async Task Grade_receives_sample_and_item_dicts()
    {
        var source = """
            def grade(sample, item):
                assert sample["output_json"]["x"] == 2 and sample["output_tools"] == [] and sample["choices"] == []
                return sample["output_json"]["x"] * item["factor"]
            """;
        var result = await TestJson.Grade(PythonGrader(source), """{"x": 2}""", """{"factor": 0.25}""", Services);
        Assert.False(result.Errors.Any, string.Join("; ", result.Errors.SetFlags) + result.Errors.PythonGraderRuntimeErrorDetails);
        Assert.Equal(0.5, result.Reward);
    }

    [Fact]
    public async Task Grade_sees_tool_calls_and_choices()
    {
        var source = """
            def grade(sample, item):
                call = sample["output_tools"][0]["function"]
                return 1.0 if call["name"] == item["tool"] and len(sample["choices"]) == 2 else 0.0
            """;
        var tools = TestJson.Parse("""[{"id":"c1","type":"function","function":{"name":"lookup_gene","arguments":"{}"}}]""");
        var choices = TestJson.Parse("""[{"index":0,"message":{"content":"a"}},{"index":1,"message":{"content":"b"}}]""");
        var context = GradingContext.Create(Templates.GradingSample.Create("", outputTools: tools, choices: choices), TestJson.Parse("""{"tool":"lookup_gene"}"""));
        var result = await TestJson.Grader(PythonGrader(source)).GradeAsync(context, Services, TestContext.Current.CancellationToken);
        Assert.False(result.Errors.Any, result.Errors.PythonGraderRuntimeErrorDetails);
        Assert.Equal(1.0, result.Reward);
    }

    [Fact]
    public async Task Exception_is_a_runtime_error_with_traceback_then_a_healthy_call_works()
    {
        var result = await Run("def grade(sample, item):\n    raise ValueError('bad sample 123')\n");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.PythonGraderRuntimeError);
        Assert.False(result.Errors.PythonGraderServerError);
        Assert.Contains("Traceback", result.Errors.PythonGraderRuntimeErrorDetails!, StringComparison.Ordinal);
        Assert.Contains("ValueError: bad sample 123", result.Errors.PythonGraderRuntimeErrorDetails!, StringComparison.Ordinal);
        await AssertHealthy();
    }

    [Theory]
    [InlineData("return 'high'", "must return a float, got str")]
    [InlineData("return None", "got NoneType")]
    [InlineData("return True", "got bool")]
    [InlineData("return float('nan')", "non-finite")]
    public async Task Non_float_return_is_a_runtime_error(string body, string message)
    {
        var result = await Run($"def grade(sample, item):\n    {body}\n");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.PythonGraderRuntimeError);
        Assert.Contains(message, result.Errors.PythonGraderRuntimeErrorDetails!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Syntax_error_is_a_runtime_error()
    {
        var result = await Run("def grade(sample, item):\n    return (1 +\n");
        Assert.True(result.Errors.PythonGraderRuntimeError);
        Assert.Contains("SyntaxError", result.Errors.PythonGraderRuntimeErrorDetails!, StringComparison.Ordinal);
        await AssertHealthy();
    }

    [Fact]
    public async Task Infinite_loop_times_out_as_a_server_error_and_the_worker_is_replaced()
    {
        var startedBefore = fixture.Pool.WorkersStarted;
        var liveBefore = fixture.Pool.LiveWorkers;
        var result = await Run("def grade(sample, item):\n    while True:\n        pass\n");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.PythonGraderServerError);
        Assert.Equal("timeout", result.Errors.PythonGraderServerErrorType);
        // The timed-out worker is never reused: it leaves the pool at once (workers start on demand, so an idle warm
        // worker may serve the next call before a replacement is needed).
        Assert.True(fixture.Pool.WorkersStarted > startedBefore || fixture.Pool.LiveWorkers < liveBefore,
            $"started {startedBefore} -> {fixture.Pool.WorkersStarted}, live {liveBefore} -> {fixture.Pool.LiveWorkers}");
        await AssertHealthy();
    }

    [Fact]
    public async Task Hard_crash_is_a_server_error_and_the_worker_is_replaced()
    {
        var startedBefore = fixture.Pool.WorkersStarted;
        var liveBefore = fixture.Pool.LiveWorkers;
        var result = await Run("import os\ndef grade(sample, item):\n    os._exit(7)\n");
        Assert.True(result.Errors.PythonGraderServerError);
        Assert.Equal("crash", result.Errors.PythonGraderServerErrorType);
        Assert.Contains(result.Errors.Details!, d => d.Contains("exit code 7", StringComparison.Ordinal));
        // The crashed worker is never reused: it leaves the pool at once (workers start on demand, so an idle warm
        // worker may serve the next call before a replacement is needed).
        Assert.True(fixture.Pool.WorkersStarted > startedBefore || fixture.Pool.LiveWorkers < liveBefore,
            $"started {startedBefore} -> {fixture.Pool.WorkersStarted}, live {liveBefore} -> {fixture.Pool.LiveWorkers}");
        await AssertHealthy();
    }

    [Fact]
    public async Task Memory_hog_hits_the_memory_limit_then_a_healthy_call_works()
    {
        // 1 GiB against a 256 MiB address-space limit.
        var result = await Run("def grade(sample, item):\n    block = bytearray(1024 * 1024 * 1024)\n    return 1.0\n");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.PythonGraderRuntimeError || result.Errors.PythonGraderServerError);
        if (result.Errors.PythonGraderRuntimeError)
            Assert.Contains("MemoryError", result.Errors.PythonGraderRuntimeErrorDetails!, StringComparison.Ordinal);
        await AssertHealthy();
    }

    [Fact]
    public async Task Growing_memory_hog_is_stopped_too()
    {
        var result = await Run("def grade(sample, item):\n    chunks = []\n    while True:\n        chunks.append(bytearray(16 * 1024 * 1024))\n");
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.PythonGraderRuntimeError || result.Errors.PythonGraderServerError);
        await AssertHealthy();
    }

    [Theory]
    [InlineData("import socket\ndef grade(sample, item):\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n    return 1.0\n")]
    [InlineData("import subprocess\ndef grade(sample, item):\n    subprocess.run(['true'])\n    return 1.0\n")]
    [InlineData("import os\ndef grade(sample, item):\n    os.system('true')\n    return 1.0\n")]
    [InlineData("import resource\ndef grade(sample, item):\n    resource.setrlimit(resource.RLIMIT_AS, (-1, -1))\n    return 1.0\n")]
    public async Task Network_process_spawning_and_limit_raising_are_refused(string source)
    {
        var result = await Run(source);
        Assert.Equal(0, result.Reward);
        Assert.True(result.Errors.PythonGraderRuntimeError);
        Assert.Contains("not allowed inside a python grader", result.Errors.PythonGraderRuntimeErrorDetails!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prints_do_not_corrupt_the_protocol()
    {
        var result = await Run("import os\ndef grade(sample, item):\n    print('noise')\n    os.write(1, b'{\"id\": 0}\\n')\n    return 0.75\n");
        Assert.False(result.Errors.Any, result.Errors.PythonGraderRuntimeErrorDetails);
        Assert.Equal(0.75, result.Reward);
    }

    [Fact]
    public async Task Workers_are_long_lived_and_keep_module_state()
    {
        var source = "calls = 0\ndef grade(sample, item):\n    global calls\n    calls += 1\n    return float(calls)\n";
        var before = fixture.Pool.WorkersStarted;
        var rewards = new List<double>();
        for (var i = 0; i < 6; i++) rewards.Add((await Run(source)).Reward);
        Assert.Equal(before, fixture.Pool.WorkersStarted);
        // Two workers share the calls, so some worker must have seen a second call.
        Assert.Contains(rewards, r => r >= 2);
    }

    [Fact]
    public async Task Isolated_workers_see_no_network_interface_but_loopback()
    {
        // /proc/self/net/dev lists the interfaces of the worker's network namespace.
        var source = "def grade(sample, item):\n    lines = open('/proc/self/net/dev').read().splitlines()[2:]\n" +
                     "    return float(len([l for l in lines if l.split(':')[0].strip() != 'lo']))\n";
        var result = await Run(source);
        Assert.False(result.Errors.Any, result.Errors.PythonGraderRuntimeErrorDetails);
        if (fixture.Pool.NetworkIsolated) Assert.Equal(0, result.Reward);

        await using var open = new Python.PythonGraderPool(new Python.PythonGraderPoolOptions { Workers = 1, Sandbox = Python.PythonSandboxMode.UnsafeNone });
        Assert.False(open.NetworkIsolated);
    }

    [Fact]
    public async Task Cancelling_a_call_kills_its_worker_and_the_pool_keeps_serving()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var grader = TestJson.Grader(PythonGrader("import time\ndef grade(sample, item):\n    time.sleep(30)\n    return 1.0\n"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => grader.GradeAsync(TestJson.Context("x"), Services, cts.Token));
        await AssertHealthy();
    }

    [Fact]
    public async Task Concurrent_calls_share_the_pool()
    {
        var tasks = Enumerable.Range(0, 20).Select(i => Run(Healthy, output: i % 2 == 0 ? "42" : "7")).ToList();
        var results = await Task.WhenAll(tasks);
        for (var i = 0; i < results.Length; i++) Assert.Equal(i % 2 == 0 ? 1.0 : 0.25, results[i].Reward);
    }

    [Fact]
    public async Task Without_a_pool_python_graders_report_a_server_error()
    {
        var result = await TestJson.Grade(PythonGrader(Healthy), "42", """{"answer":"42"}""");
        Assert.True(result.Errors.PythonGraderServerError);
        Assert.Equal("unavailable", result.Errors.PythonGraderServerErrorType);
    }
}
