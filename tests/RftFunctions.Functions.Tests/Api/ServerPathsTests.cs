using System.Text.Json;
using RftFunctions.Functions.Api;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>Errors users read (job errors, grader tracebacks) carry file names, never where the server keeps them.</summary>
public sealed class ServerPathsTests(StorageFixture storage)
{
    [Theory]
    [InlineData("File \"/tmp/rft-py-1234/grader_worker.py\", line 12, in run", "File \"…/grader_worker.py\", line 12, in run")]
    [InlineData("Could not find file '/root/.cache/rft/models/tiny/config.json'.", "Could not find file '…/config.json'.")]
    [InlineData("/work/app/bin/rft.dll crashed", "…/rft.dll crashed")]
    [InlineData("blob ftjob-1/steps/0/state is missing", "blob ftjob-1/steps/0/state is missing")]
    [InlineData("see https://example.com/docs/limits and /v1", "see https://example.com/docs/limits and /v1")]
    public void Absolute_paths_lose_their_folders(string text, string expected) => Assert.Equal(expected, ServerPaths.Scrub(text));

    [Fact]
    public void The_folders_the_process_runs_from_never_show()
    {
        foreach (var root in new[] { AppContext.BaseDirectory, Path.GetTempPath(), Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), Environment.CurrentDirectory })
        {
            if (root.TrimEnd('/').Length == 0) continue;
            var folder = Path.Combine(root, "some dir");
            var scrubbed = ServerPaths.Scrub($"failed at {Path.Combine(folder, "x.bin")}");
            Assert.DoesNotContain(folder, scrubbed, StringComparison.Ordinal);
            Assert.EndsWith("x.bin", scrubbed, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_python_graders_traceback_through_the_api_shows_no_server_path()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var client = server.Client();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        // The grader fails with a message naming server folders; its traceback also names the worker's script.
        var source = "def grade(sample, item):\n    raise ValueError('at /tmp/rft-x/y.txt and ' + " + JsonSerializer.Serialize(home + "/secret/key.pem") + ")\n";
        var body = JsonSerializer.Serialize(new { grader = new { type = "python", name = "p", source }, model_sample = "x" });
        var answer = await ApiAssert.OkAsync(await client.PostJson("v1/fine_tuning/alpha/graders/run", body));
        var errors = answer.GetProperty("metadata").GetProperty("errors");
        Assert.True(errors.GetProperty("python_grader_runtime_error").GetBoolean(), answer.ToString());
        var details = errors.GetProperty("python_grader_runtime_error_details").GetString()!;
        Assert.Contains("ValueError", details, StringComparison.Ordinal);
        Assert.Contains("key.pem", details, StringComparison.Ordinal);
        Assert.DoesNotContain(home + "/secret", details, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp/rft-x", details, StringComparison.Ordinal);
        Assert.Contains("y.txt", details, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?<![\w.:/~…-])/(?:[\w.@+~-]+/)+[\w.@+~-]*", details);
    }
}
