using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Storage;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Durable;

/// <summary>
/// Storage outages as an operator meets them (issue 22): the real <c>rft host</c> process (roles all) on Azurite run as
/// three processes, one per service, so a service can stop alone and come back with its data. Nothing restarts the host:
/// every loop of it (the engine's partition, control-queue and work-item loops, the triggers' scans) must find storage
/// again by itself.
/// </summary>
public sealed class StorageOutageTests
{
    private const string Key = "sk-outage-dev";
    private const int TrainLines = 16; // batch 2: 8 steps

    /// <summary>How long storage is away: longer than the storage SDK's retry window (about 25 s), which is what wedged loops.</summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_job_resumes_within_60_s_of_all_storage_returning_from_a_60_s_outage_and_ends_with_the_uninterrupted_runs_numbers()
    {
        await using var azurite = await SplitAzurite.StartAsync(ToolDirectory(), Ct);
        await using var host = StartHost(azurite);
        using var http = await ClientAsync(host);
        var (training, validation) = await UploadAsync(http);

        // The uninterrupted run, same seed, same process.
        var reference = await CreateJobAsync(http, training, validation);
        var referenceJob = await JobFixtures.WaitForAsync(http, reference, JobFixtures.Terminal, seconds: 300);
        Assert.Equal("succeeded", referenceJob.GetProperty("status").GetString());
        var expected = await MetricsAsync(http, reference);

        var jobId = await CreateJobAsync(http, training, validation);
        await JobFixtures.WaitForAsync(http, jobId, j => TrainedSteps(j) >= 2, seconds: 300);
        var stepsBefore = await TrainedStepsAsync(http, jobId);

        await azurite.StopAllAsync();
        using (var during = await GetHealthAsync(host))
            Assert.True(during.StatusCode == HttpStatusCode.ServiceUnavailable, $"healthz during the outage: {during.StatusCode}");
        // Every loop waits the outage out: nothing for a liveness probe to restart.
        using (var alive = await GetHealthAsync(host, "/healthz?probe=liveness"))
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        await Task.Delay(Outage, Ct);
        await azurite.StartAllAsync(Ct);
        var backAt = DateTime.UtcNow;

        // Progress: a step trained after the outage, with no restart of the host.
        JsonElement moved;
        try
        {
            moved = await JobFixtures.WaitForAsync(http, jobId, j => TrainedSteps(j) > stepsBefore || JobFixtures.Terminal(j), seconds: 60 + 30);
        }
        catch (TimeoutException e)
        {
            var dump = Path.Combine(Path.GetTempPath(), $"rft-outage-{Environment.ProcessId}.log");
            await File.WriteAllTextAsync(dump, host.Output + "\n---- azurite\n" + azurite.Output, Ct);
            throw new TimeoutException($"{e.Message}\n(host output in {dump})\n{Tail(host.Output)}", e);
        }
        var resumedAfter = DateTime.UtcNow - backAt;
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"steps before the outage {stepsBefore}; next step {resumedAfter.TotalSeconds:F1} s after storage returned"));
        Assert.True(resumedAfter < TimeSpan.FromSeconds(60) || JobFixtures.Terminal(moved),
            $"the job moved {resumedAfter.TotalSeconds:F0} s after storage returned (more than 60 s)\n{Tail(host.Output)}");

        var done = await JobFixtures.WaitForAsync(http, jobId, JobFixtures.Terminal, seconds: 300);
        Assert.True(done.GetProperty("status").GetString() == "succeeded", $"{done}\n{Tail(host.Output)}");
        var actual = await MetricsAsync(http, jobId);
        Assert.True(expected.SequenceEqual(actual), $"expected:\n{string.Join("\n", expected)}\nactual:\n{string.Join("\n", actual)}");
        using var after = await GetHealthAsync(host);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task With_the_queue_service_stopped_for_60_s_requests_get_503_with_Retry_After_and_no_job_is_left_in_validating_files()
    {
        await using var azurite = await SplitAzurite.StartAsync(ToolDirectory(), Ct);
        await using var host = StartHost(azurite, ("Rft__UnstartedJobGraceSeconds", "5"));
        using var http = await ClientAsync(host);
        var (training, validation) = await UploadAsync(http);

        await azurite.StopServiceAsync("queue");
        var stoppedAt = DateTime.UtcNow;
        using (var during = await GetHealthAsync(host))
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);

        // A job create needs the queue (its orchestration's start message): 503, OpenAI's envelope, Retry-After.
        var asked = DateTime.UtcNow;
        using (var create = await http.PostJson("v1/fine_tuning/jobs", JobFixtures.CreateBody("tiny", training, validation)))
        {
            var answeredAfter = DateTime.UtcNow - asked;
            var body = await create.Content.ReadAsStringAsync(Ct);
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"job create during the queue outage: {(int)create.StatusCode} after {answeredAfter.TotalSeconds:F1} s: {body}"));
            Assert.True(create.StatusCode == HttpStatusCode.ServiceUnavailable, body);
            Assert.True(create.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"Retry-After: {create.Headers.RetryAfter}");
            using var error = JsonDocument.Parse(body);
            Assert.Equal("service_unavailable", error.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
            // Bounded: the storage SDK's retries for the one failing call, not minutes.
            Assert.True(answeredAfter < Outage, $"answered after {answeredAfter.TotalSeconds:F0} s");
        }
        // Reads that need no queue still work.
        await ApiAssert.OkAsync(await http.Get("v1/fine_tuning/jobs"));

        var rest = Outage - (DateTime.UtcNow - stoppedAt);
        if (rest > TimeSpan.Zero) await Task.Delay(rest, Ct);
        await azurite.StartServiceAsync("queue", Ct);

        // A job created after the outage starts and finishes.
        var jobId = await CreateJobAsync(http, training, validation);
        var done = await JobFixtures.WaitForAsync(http, jobId, JobFixtures.Terminal, seconds: 300);
        Assert.True(done.GetProperty("status").GetString() == "succeeded", $"{done}\n{Tail(host.Output)}");

        // Nothing half-made: no job stuck in validating_files (the failed create left none, or one the reconciler failed).
        var jobs = (await ApiAssert.OkAsync(await http.Get("v1/fine_tuning/jobs"))).GetProperty("data").EnumerateArray().ToList();
        Assert.DoesNotContain(jobs, j => j.GetProperty("status").GetString() == "validating_files");
        Assert.All(jobs.Where(j => j.GetProperty("id").GetString() != jobId), j =>
            Assert.Equal("orchestration_not_started", j.GetProperty("error").GetProperty("code").GetString()));
        using var after = await GetHealthAsync(host);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    internal static string ToolDirectory() => AzuriteEmulator.FindToolDirectory(AppContext.BaseDirectory, Directory.GetCurrentDirectory());

    internal static HostProcess StartHost(SplitAzurite azurite, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Rft__Roles"] = "all",
            ["Rft__EmbeddedAzurite"] = "false",
            ["Rft__DevelopmentApiKey"] = Key,
            ["Rft__DevelopmentProject"] = "outage",
            ["Rft__ModelImportRoot"] = Path.GetTempPath(),
            ["Rft__ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-outage-cache", Guid.NewGuid().ToString("N")),
        };
        foreach (var (key, value) in extra) settings[key] = value;
        return HostProcess.Start(settings);
    }

    internal static async Task<HttpClient> ClientAsync(HostProcess host)
    {
        var http = new HttpClient { BaseAddress = host.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using (var ready = await host.WaitForAsync(http, "/v1/models", TimeSpan.FromSeconds(120), Ct))
            await ApiAssert.OkAsync(ready);
        await JobFixtures.RegisterTinyAsync(http, "tiny");
        return http;
    }

    internal static async Task<(string Training, string Validation)> UploadAsync(HttpClient http) =>
        (await JobFixtures.UploadAsync(http, JobFixtures.Dataset(TrainLines)), await JobFixtures.UploadAsync(http, JobFixtures.Dataset(2, offset: 20), "valid.jsonl"));

    internal static async Task<string> CreateJobAsync(HttpClient http, string training, string validation) =>
        (await ApiAssert.OkAsync(await http.PostJson("v1/fine_tuning/jobs", JobFixtures.CreateBody("tiny", training, validation)))).GetProperty("id").GetString()!;

    private static int TrainedSteps(JsonElement job) =>
        job.TryGetProperty("trained_steps", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : 0;

    private static async Task<int> TrainedStepsAsync(HttpClient http, string jobId) =>
        TrainedSteps(await ApiAssert.OkAsync(await http.Get($"v1/fine_tuning/jobs/{jobId}")));

    /// <summary>Each metrics event's step, train and valid reward, oldest first.</summary>
    internal static async Task<List<string>> MetricsAsync(HttpClient http, string jobId)
    {
        var events = await ApiAssert.OkAsync(await http.Get($"v1/fine_tuning/jobs/{jobId}/events?limit=100"));
        return [.. events.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "metrics")
            .Select(e => Orchestrations.TrainingJobReads.Numbers(e.GetProperty("data"))).Reverse()];
    }

    internal static async Task<HttpResponseMessage> GetHealthAsync(HostProcess host, string path = "/healthz")
    {
        using var anonymous = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        return await anonymous.GetAsync(new Uri(host.BaseAddress, path), Ct);
    }

    internal static string Tail(string output) => output.Length > 20000 ? output[^20000..] : output;
}
