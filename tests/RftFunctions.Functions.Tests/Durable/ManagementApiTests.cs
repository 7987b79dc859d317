using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Durable;

/// <summary>
/// The Functions management surface of the self-hosted host over the engine (<see cref="ManagementApi"/>), with a worker
/// running a small orchestration that waits for an approval event: status codes as Durable Functions answers them
/// (202 while running, 200 when done, 404 unknown, 410 after the end), raise event, suspend and resume, terminate,
/// query with continuation, history, purge, and the start route's refusals. (The operator key in front of it is
/// ControlSurfaceTests' subject.)
/// </summary>
public sealed class ManagementApiTests(StorageFixture storage) : IAsyncLifetime
{
    private const string Prefix = ManagementApi.DefaultPrefix;
    private WebApplication? _app;
    private HttpClient? _http;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HttpClient Http => _http!;

    private DurableTaskClient Client => _app!.Services.GetRequiredService<DurableTaskClient>();

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var hub = new TaskHubOptions
        {
            HubName = storage.UniqueName("mgmt").Replace("-", "", StringComparison.Ordinal),
            StorageProvider = new TaskHubStorageOptions { MaxQueuePollingInterval = TimeSpan.FromMilliseconds(100) },
        };
        builder.Services.AddSingleton(new WorkerShutdown());
        builder.Services.AddTaskHub(storage.Account, hub, runWorker: true);
        builder.Services.AddSingleton(new TaskCatalog()
            .AddOrchestrator<WaitForApproval>(nameof(WaitForApproval))
            .AddOrchestrator<Internal>(nameof(Internal))
            .AddActivity<Echo>(nameof(Echo)));
        _app = builder.Build();
        _app.MapDurableTaskManagementApi(canStart: name => name == nameof(WaitForApproval));
        await _app.StartAsync(Ct);
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null) await _app.DisposeAsync();
    }

    [Fact]
    public async Task Start_status_raise_event_and_completion_answer_as_Durable_Functions_does()
    {
        using var start = await Http.PostAsync($"{Prefix}/orchestrators/{nameof(WaitForApproval)}/approval-1", Json("\"hello\""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        using var payload = JsonDocument.Parse(await start.Content.ReadAsStringAsync(Ct));
        Assert.Equal("approval-1", payload.RootElement.GetProperty("id").GetString());
        Assert.EndsWith($"{Prefix}/instances/approval-1", payload.RootElement.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
        Assert.Equal(start.Headers.Location!.ToString(), payload.RootElement.GetProperty("statusQueryGetUri").GetString());

        await Client.WaitForInstanceStartAsync("approval-1", cancellation: Ct);
        using var running = await Http.GetAsync($"{Prefix}/instances/approval-1", Ct);
        Assert.Equal(HttpStatusCode.Accepted, running.StatusCode);
        Assert.NotNull(running.Headers.RetryAfter);

        using var raised = await Http.PostAsync($"{Prefix}/instances/approval-1/raiseEvent/approve", Json("\"yes\""), Ct);
        Assert.Equal(HttpStatusCode.Accepted, raised.StatusCode);
        using var wait = Timeout(60);
        var done = await Client.WaitForInstanceCompletionAsync("approval-1", getInputsAndOutputs: true, wait.Token);
        Assert.Equal("hello:yes", done.ReadOutputAs<string>());

        using var finished = await Http.GetAsync($"{Prefix}/instances/approval-1?showHistory=true&showHistoryOutput=true", Ct);
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        using var status = JsonDocument.Parse(await finished.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Completed", status.RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Equal("hello", status.RootElement.GetProperty("input").GetString());
        Assert.Equal("hello:yes", status.RootElement.GetProperty("output").GetString());
        var history = status.RootElement.GetProperty("historyEvents").EnumerateArray().Select(e => e.GetProperty("EventType").GetString()).ToList();
        Assert.Contains("ExecutionStarted", history);
        Assert.Contains("TaskScheduled", history);
        Assert.Contains("EventRaised", history);
        Assert.Contains("ExecutionCompleted", history);
        Assert.DoesNotContain("OrchestratorStarted", history);

        // After the end: control answers 410 Gone; unknown instances 404.
        using var late = await Http.PostAsync($"{Prefix}/instances/approval-1/raiseEvent/approve", Json("\"again\""), Ct);
        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);
        using var unknown = await Http.GetAsync($"{Prefix}/instances/no-such-instance", Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Suspend_holds_an_instance_resume_continues_it_and_terminate_ends_it()
    {
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(WaitForApproval), "s", new StartOrchestrationOptions("approval-2"), Ct);
        await Client.WaitForInstanceStartAsync("approval-2", cancellation: Ct);

        using var suspend = await Http.PostAsync($"{Prefix}/instances/approval-2/suspend?reason=hold", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, suspend.StatusCode);
        await WaitForStatusAsync("approval-2", OrchestrationRuntimeStatus.Suspended);
        using var resume = await Http.PostAsync($"{Prefix}/instances/approval-2/resume?reason=go", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, resume.StatusCode);
        await WaitForStatusAsync("approval-2", OrchestrationRuntimeStatus.Running);

        using var terminate = await Http.PostAsync($"{Prefix}/instances/approval-2/terminate?reason=operator", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
        using var wait = Timeout(60);
        var ended = await Client.WaitForInstanceCompletionAsync("approval-2", cancellation: wait.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, ended.RuntimeStatus);

        using var purge = await Http.DeleteAsync($"{Prefix}/instances/approval-2", Ct);
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.Null(await Client.GetInstanceAsync("approval-2", cancellation: Ct));
        using var again = await Http.DeleteAsync($"{Prefix}/instances/approval-2", Ct);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Query_pages_with_a_continuation_token_and_filters_by_status_and_prefix()
    {
        foreach (var id in new[] { "page-a", "page-b", "page-c" })
            await Client.ScheduleNewOrchestrationInstanceAsync(nameof(WaitForApproval), id, new StartOrchestrationOptions(id), Ct);

        var seen = new List<string>();
        string? token = null;
        for (int page = 0; page < 10; page++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{Prefix}/instances?instanceIdPrefix=page-&top=2");
            if (token is not null) request.Headers.Add("x-ms-continuation-token", token);
            using var response = await Http.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.True(body.RootElement.GetArrayLength() <= 2);
            seen.AddRange(body.RootElement.EnumerateArray().Select(e => e.GetProperty("instanceId").GetString()!));
            token = response.Headers.TryGetValues("x-ms-continuation-token", out var next) ? next.Single() : null;
            if (string.IsNullOrEmpty(token) || token == "null") break;
        }
        Assert.Equal(["page-a", "page-b", "page-c"], seen.Order());

        using var bad = await Http.GetAsync($"{Prefix}/instances?runtimeStatus=Sleeping", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Sleeping", await bad.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_start_route_refuses_unknown_and_disallowed_orchestrators_before_anything_is_written()
    {
        using var unknown = await Http.PostAsync($"{Prefix}/orchestrators/NoSuch/refused-1", Json("1"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var refused = await Http.PostAsync($"{Prefix}/orchestrators/{nameof(Internal)}/refused-2", Json("1"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var badJson = await Http.PostAsync($"{Prefix}/orchestrators/{nameof(WaitForApproval)}/refused-3", Json("{not json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
        foreach (var id in new[] { "refused-1", "refused-2", "refused-3" })
            Assert.Null(await Client.GetInstanceAsync(id, cancellation: Ct));
    }

    private async Task WaitForStatusAsync(string id, OrchestrationRuntimeStatus status)
    {
        using var timeout = Timeout(60);
        while ((await Client.GetInstanceAsync(id, cancellation: timeout.Token))?.RuntimeStatus != status) await Task.Delay(100, timeout.Token);
    }

    private static CancellationTokenSource Timeout(int seconds)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private sealed class WaitForApproval : TaskOrchestrator<string, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
        {
            var echoed = await context.CallActivityAsync<string>(nameof(Echo), input);
            var approval = await context.WaitForExternalEvent<string>("approve");
            return $"{echoed}:{approval}";
        }
    }

    private sealed class Internal : TaskOrchestrator<int, int>
    {
        public override Task<int> RunAsync(TaskOrchestrationContext context, int input) => Task.FromResult(input);
    }

    private sealed class Echo : TaskActivity<string, string>
    {
        public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult(input);
    }
}
