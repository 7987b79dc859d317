using System.Text.Json;
using RftFunctions.Functions.Tests.Api;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Dashboard;

/// <summary>
/// The dashboard in headless Chromium (Debian's package) against a real training job in the real host: the page must
/// show what the API says, live, with no console errors. Screenshots are kept under the test output's TestResults.
/// </summary>
public sealed class DashboardBrowserTests(StorageFixture storage)
{
    private const int TrainLines = 12; // batch 2: 6 steps
    private static readonly TimeSpan PageWait = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Js(string value) => JsonSerializer.Serialize(value);

    private static string Points(string chart, string series) =>
        $"document.querySelectorAll('#charts figure[data-chart={Js(chart)}] g.series[data-series={Js(series)}] circle').length";

    [Fact]
    public async Task The_dashboard_follows_a_real_job_live_with_charts_events_and_checkpoints_and_no_console_errors()
    {
        await using var host = await LiveJobHost.StartAsync(storage);
        await AssertStaticAssetsAsync(host.BaseAddress);
        var jobId = await host.CreateJobAsync(TrainLines, evalInterval: 2);
        // Paused after a step or two, so the page is known to open on an unfinished job and must then see later steps
        // arrive by itself (pause is allowed once the first step is done).
        await host.WaitForJobAsync(jobId, j => j.GetProperty("trained_steps").GetInt32() >= 1, "its first step");
        await ApiAssert.OkAsync(await host.Api.PostJson($"/v1/fine_tuning/jobs/{jobId}/pause", "{}"));
        var paused = await host.WaitForJobAsync(jobId, j => j.GetProperty("status").GetString() == "paused", "paused");
        var pausedSteps = paused.GetProperty("trained_steps").GetInt32();
        Assert.InRange(pausedSteps, 1, 5);

        await using var browser = await HeadlessChromium.LaunchAsync(1280, 1800, Ct);
        var page = new Uri(host.BaseAddress, "/dashboard");

        // A wrong key: a clear message naming the 401, and no data.
        await browser.NavigateAsync(new Uri(page + "#key=sk-wrong"), Ct);
        await browser.WaitForAsync("document.getElementById('alert').textContent.includes('401')", "the 401 message", PageWait, Ct);
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('#jobs tbody tr').length", Ct)).GetInt32());
        // The refused requests are logged by the browser as failed loads; only what follows must be clean.
        browser.ClearProblems();

        // The development key in the fragment: stored, dropped from the address, and the jobs list shows the job.
        await browser.NavigateAsync(new Uri(page + "#key=" + LiveJobHost.Key), Ct);
        var row = $"document.querySelector('#jobs tr[data-job-id={Js(jobId)}]')";
        await browser.WaitForAsync($"{row} && {row}.dataset.status === 'paused'", "the paused job in the list", PageWait, Ct);
        Assert.DoesNotContain(LiveJobHost.Key, (await browser.EvaluateAsync("location.href", Ct)).GetString(), StringComparison.Ordinal);
        Assert.Equal("tiny-dash", (await browser.EvaluateAsync($"{row}.cells[1].textContent", Ct)).GetString());
        Assert.Equal($"{pausedSteps}/6", (await browser.EvaluateAsync($"{row}.cells[3].textContent.trim()", Ct)).GetString());
        await browser.ScreenshotAsync(ArtifactPath("dashboard-jobs.png"), Ct);

        // The job's page, opened from the list, on the paused job: one point per metrics event so far.
        await browser.EvaluateAsync($"{row}.querySelector('a').click()", Ct);
        var train = Points("reward", "scores.train_reward_mean");
        await browser.WaitForAsync($"document.getElementById('job-summary').dataset.status === 'paused' && {train} === {pausedSteps}",
            $"{pausedSteps} train reward points on the paused job", PageWait, Ct);
        Assert.Equal(pausedSteps, (await host.EventsAsync(jobId)).Count(e => e.GetProperty("type").GetString() == "metrics"));

        // Resumed: later steps appear without a reload, up to the finished job.
        await ApiAssert.OkAsync(await host.Api.PostJson($"/v1/fine_tuning/jobs/{jobId}/resume", "{}"));
        await browser.WaitForAsync($"{train} > {pausedSteps}", "a later step to appear on the open page", PageWait, Ct);
        var done = await host.WaitForJobAsync(jobId, j => j.GetProperty("status").GetString() == "succeeded", "succeeded");
        Assert.Equal(6, done.GetProperty("trained_steps").GetInt32());
        // Finished: the API's records are final now; the page must converge on exactly them.
        var events = await host.EventsAsync(jobId);
        var checkpoints = await host.CheckpointsAsync(jobId);
        var metrics = events.Where(e => e.GetProperty("type").GetString() == "metrics").Select(e => e.GetProperty("data")).ToList();
        Assert.Equal(6, metrics.Count);
        await browser.WaitForAsync(
            $"document.getElementById('job-summary').dataset.status === 'succeeded' && document.querySelectorAll('#events tbody tr').length === {events.Count}" +
            $" && document.querySelectorAll('#checkpoints tbody tr').length === {checkpoints.Count}",
            $"the finished job with {events.Count} events and {checkpoints.Count} checkpoints", PageWait, Ct);

        // Every chart point is a metrics event's value: train reward at each step, valid reward where validation ran.
        Assert.Equal(metrics.Count, (await browser.EvaluateAsync(train, Ct)).GetInt32());
        var drawn = await browser.EvaluateAsync(
            $"[...document.querySelectorAll('#charts figure[data-chart=\"reward\"] g.series[data-series=\"scores.train_reward_mean\"] circle')].map(c => [Number(c.dataset.step), Number(c.dataset.value)])", Ct);
        var expected = metrics.Select(m => (m.GetProperty("step").GetInt32(), m.GetProperty("scores").GetProperty("train_reward_mean").GetDouble())).OrderBy(p => p.Item1).ToList();
        Assert.Equal(expected, drawn.EnumerateArray().Select(p => (p[0].GetInt32(), p[1].GetDouble())).ToList());
        var validated = metrics.Count(m => m.GetProperty("scores").TryGetProperty("valid_reward_mean", out _));
        Assert.InRange(validated, 1, 6);
        Assert.Equal(validated, (await browser.EvaluateAsync(Points("reward", "scores.valid_reward_mean"), Ct)).GetInt32());
        // Per-grader reward, KL, entropy and completion lengths each drawn from every step.
        foreach (var (chart, series, count) in new[]
        {
            ("graders", "scores.graders.hit.train_reward_mean", metrics.Count),
            ("graders", "scores.graders.sim.train_reward_mean", metrics.Count),
            ("graders", "scores.graders.sim.valid_reward_mean", validated),
            ("kl", "diagnostics.kl", metrics.Count),
            ("entropy", "diagnostics.entropy", metrics.Count),
            ("completion_length", "diagnostics.completion_length_mean", metrics.Count),
            ("completion_length", "diagnostics.completion_length_max", metrics.Count),
            ("timing", "timing.step.sampling", metrics.Count),
        })
        {
            Assert.True(count == (await browser.EvaluateAsync(Points(chart, series), Ct)).GetInt32(), $"{chart}/{series}: expected {count} points");
        }
        // Events as the API lists them (newest first), and the kept checkpoints with their metrics.
        var eventIds = await browser.EvaluateAsync("[...document.querySelectorAll('#events tbody tr')].map(r => r.dataset.eventId)", Ct);
        Assert.Equal(events.Select(e => e.GetProperty("id").GetString()), eventIds.EnumerateArray().Select(e => e.GetString()));
        Assert.NotEmpty(checkpoints);
        foreach (var checkpoint in checkpoints)
        {
            var cells = $"document.querySelector('#checkpoints tr[data-checkpoint-id={Js(checkpoint.GetProperty("id").GetString()!)}]').cells";
            Assert.Equal(checkpoint.GetProperty("fine_tuned_model_checkpoint").GetString(), (await browser.EvaluateAsync($"{cells}[1].textContent", Ct)).GetString());
            foreach (var metric in checkpoint.GetProperty("metrics").EnumerateObject())
                Assert.Contains(metric.Name + "=", (await browser.EvaluateAsync($"{cells}[3].textContent", Ct)).GetString(), StringComparison.Ordinal);
        }
        Assert.Contains(done.GetProperty("fine_tuned_model").GetString()!, (await browser.EvaluateAsync("document.getElementById('job-summary').textContent", Ct)).GetString(), StringComparison.Ordinal);

        await AssertHealthPanelAsync(browser, host, storage, jobId, metrics.Count);

        var screenshot = ArtifactPath("dashboard-job.png");
        await browser.ScreenshotAsync(screenshot, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"dashboard screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is suspiciously small");
        Assert.Empty(browser.Problems);
    }

    /// <summary>
    /// The Health panel: it lists exactly the job's monitor events (this tiny random model's job may fire some, e.g.
    /// grader_errors when its answers run out of tokens); then one more firing event (as RecordMetrics writes it, into
    /// the job's event log) appears in the panel with its code, step, action and samples, and as a marked step on every
    /// chart, without a reload. (Real jobs firing monitors: HealthMonitorJobTests.)
    /// </summary>
    private static async Task AssertHealthPanelAsync(HeadlessChromium browser, LiveJobHost host, StorageFixture storage, string jobId, int steps)
    {
        var fired = (await host.EventsAsync(jobId)).Where(e => e.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object
            && d.TryGetProperty("code", out var c) && c.GetString()!.StartsWith("monitor.", StringComparison.Ordinal))
            .Select(e => (Code: e.GetProperty("data").GetProperty("code").GetString()!, Step: e.GetProperty("data").GetProperty("step").GetInt32())).ToList();
        Assert.Equal(fired.Count, (await browser.EvaluateAsync("document.querySelectorAll('#health tbody tr').length", Ct)).GetInt32());
        Assert.Equal(fired.Count > 0, (await browser.EvaluateAsync("document.getElementById('health-empty').hidden", Ct)).GetBoolean());

        var prefix = host.Settings["Rft__StoragePrefix"].ToLowerInvariant();
        var store = new RftFunctions.Functions.Jobs.JobStore(storage.Account, new RftFunctions.Functions.Jobs.JobStorageOptions
        {
            Container = prefix + "jobs",
            JobsTable = prefix + "Jobs",
            EventsTable = prefix + "JobEvents",
            CheckpointsTable = prefix + "Checkpoints",
        });
        int step = Math.Min(3, steps);
        // A detector that has not fired at that step (one event per detector and step).
        var detector = RftFunctions.Training.Monitors.HealthMonitors.Names.First(n => !fired.Contains(("monitor." + n, step)));
        var code = "monitor." + detector;
        var firing = new RftFunctions.Training.Monitors.MonitorFiring(detector, step, "Possible trouble (test firing)",
            new Dictionary<string, double> { ["length_start"] = 6, ["length_end"] = 9 },
            [new RftFunctions.Training.Monitors.SampleExcerpt($"step-{step}/example-0/sample-1", 0.5, 9, "<b>not html</b>")]);
        await RftFunctions.Functions.Orchestrations.MonitorEvents.AppendAsync(store, jobId,
            [new RftFunctions.Functions.Orchestrations.SequencedFiring(RftFunctions.Functions.Jobs.JobStore.EventSequenceAt(DateTime.UtcNow), firing)], Ct);

        var row = $"document.querySelector('#health tbody tr[data-code={Js(code)}][data-step=\"{step}\"]')";
        await browser.WaitForAsync($"{row} !== null && document.getElementById('health-empty').hidden", "the firing in the Health panel", PageWait, Ct);
        Assert.Equal(fired.Count + 1, (await browser.EvaluateAsync("document.querySelectorAll('#health tbody tr').length", Ct)).GetInt32());
        Assert.Equal(step.ToString(System.Globalization.CultureInfo.InvariantCulture), (await browser.EvaluateAsync($"{row}.cells[0].textContent", Ct)).GetString());
        Assert.Equal("warn", (await browser.EvaluateAsync($"{row}.cells[2].textContent", Ct)).GetString());
        Assert.Contains("Possible trouble", (await browser.EvaluateAsync($"{row}.cells[3].textContent", Ct)).GetString(), StringComparison.Ordinal);
        // Samples are text, never markup.
        Assert.Contains("<b>not html</b>", (await browser.EvaluateAsync($"{row}.cells[4].textContent", Ct)).GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('#health b').length", Ct)).GetInt32());
        // Every chart marks the step.
        var charts = (await browser.EvaluateAsync("document.querySelectorAll('#charts figure').length", Ct)).GetInt32();
        Assert.True(charts > 0);
        Assert.Equal(charts, (await browser.EvaluateAsync($"document.querySelectorAll('#charts figure g.monitor[data-step=\"{step}\"][data-code={Js(code)}]').length", Ct)).GetInt32());
    }

    // The page needs no key (it holds no data) and may load nothing but itself: no CDN, no fonts, no inline code.
    private static async Task AssertStaticAssetsAsync(Uri baseAddress)
    {
        using var anonymous = new HttpClient { BaseAddress = baseAddress };
        foreach (var (path, type) in new[] { ("/dashboard", "text/html"), ("/dashboard/dashboard.js", "text/javascript"), ("/dashboard/dashboard.css", "text/css") })
        {
            using var response = await anonymous.Get(path);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("http", await anonymous.GetText("/dashboard"), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Under the test output folder's TestResults/dashboard (kept after the run as an artifact).</summary>
    private static string ArtifactPath(string name) => Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard", name);
}
