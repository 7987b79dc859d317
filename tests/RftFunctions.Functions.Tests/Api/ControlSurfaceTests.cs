using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// Who may call what (docs/security.md): every route of the host's real route table called anonymously and with a
/// project key; the durable management surface with each kind of credential; the start route's refusals.
/// </summary>
public sealed class ControlSurfaceTests(StorageFixture storage)
{
    private const string Management = "/runtime/webhooks/durabletask";

    /// <summary>
    /// The public routes, by decision (docs/security.md, "Public routes"): the health probe (status only), the API's
    /// static documentation and the dashboard's static files. A route answering without a key that is not here fails
    /// <see cref="Only_the_documented_public_routes_answer_without_a_key"/>.
    /// </summary>
    private static readonly HashSet<string> PublicRoutes =
    [
        "GET /healthz",
        "GET /openapi.json",
        "GET /docs",
        "GET /dashboard",
        "GET /dashboard/dashboard.js",
        "GET /dashboard/dashboard.css",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_the_documented_public_routes_answer_without_a_key()
    {
        await using var server = await HostRoutesServer.StartAsync(storage);
        var projectKey = await server.ProjectKeyAsync("routes");
        using var anonymous = server.Client();
        using var project = server.Client(projectKey);
        var routes = Routes(server).ToList();
        Assert.Contains(routes, r => r.Route.StartsWith(Management, StringComparison.Ordinal));
        Assert.Contains(routes, r => r.Route.StartsWith("/v1/", StringComparison.Ordinal));
        // The list cannot go stale the other way either: every public route still exists.
        Assert.Empty(PublicRoutes.Except(routes.Select(r => r.Key)));

        var failures = new List<string>();
        foreach (var route in routes)
        {
            using var anon = await SendAsync(anonymous, route);
            using var withProjectKey = await SendAsync(project, route);
            var keyed = (int)withProjectKey.StatusCode;
            if (PublicRoutes.Contains(route.Key))
            {
                if (anon.StatusCode != HttpStatusCode.OK) failures.Add($"{route.Key} (public): anonymous got {(int)anon.StatusCode}");
                continue;
            }
            if (anon.StatusCode != HttpStatusCode.Unauthorized)
                failures.Add($"{route.Key}: anonymous got {(int)anon.StatusCode}, expected 401 (or add it to the documented public routes)");
            if (route.Route.StartsWith(Management, StringComparison.Ordinal))
            {
                if (withProjectKey.StatusCode != HttpStatusCode.Forbidden) failures.Add($"{route.Key}: a project key got {keyed}, expected 403");
            }
            else if (route.Route.StartsWith("/v1/", StringComparison.Ordinal))
            {
                // The project key is a real credential there: refused input is a 4xx, never 401/403 or a fault.
                if (keyed is 401 or 403 or >= 500) failures.Add($"{route.Key}: a project key got {keyed}");
            }
            else if (withProjectKey.StatusCode != HttpStatusCode.Unauthorized)
            {
                // Routes with a key of their own (the Event Grid webhook) do not take project keys either.
                failures.Add($"{route.Key}: a project key got {keyed}, expected 401");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task The_management_surface_refuses_anonymous_callers_and_project_keys_and_changes_nothing()
    {
        await using var server = await HostRoutesServer.StartAsync(storage);
        var projectKey = await server.ProjectKeyAsync("victim");
        var id = await server.Durable.ScheduleNewOrchestrationInstanceAsync(RftOrchestrations.TrainingJob, new { jobId = "ftjob-x" }, new StartOrchestrationOptions("ftjob-victim"), Ct);
        using var anonymous = server.Client();
        using var project = server.Client(projectKey);
        using var wrongKey = server.Client("sk-rft-admin-not-a-key");

        foreach (var client in new[] { anonymous, project, wrongKey })
        {
            var expected = client == project ? HttpStatusCode.Forbidden : HttpStatusCode.Unauthorized;
            foreach (var (method, url) in new[]
            {
                (HttpMethod.Get, $"{Management}/instances"),
                (HttpMethod.Get, $"{Management}/instances/{id}"),
                (HttpMethod.Post, $"{Management}/instances/{id}/raiseEvent/control"),
                (HttpMethod.Post, $"{Management}/instances/{id}/terminate?reason=x"),
                (HttpMethod.Post, $"{Management}/instances/{id}/suspend?reason=x"),
                (HttpMethod.Post, $"{Management}/instances/{id}/resume?reason=x"),
                (HttpMethod.Delete, $"{Management}/instances/{id}"),
                (HttpMethod.Delete, $"{Management}/instances"),
                (HttpMethod.Post, $"{Management}/orchestrators/{RftOrchestrations.TrainingJob}/ftjob-crafted"),
            })
            {
                using var request = new HttpRequestMessage(method, url) { Content = method == HttpMethod.Get ? null : Json("""{"action":"cancel"}""") };
                using var response = await client.SendAsync(request, Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(response.StatusCode == expected, $"{method} {url}: {(int)response.StatusCode} {body}");
                Assert.DoesNotContain("ftjob-x", body, StringComparison.Ordinal);
            }
        }

        var instance = await server.Durable.GetInstanceAsync(id, true, Ct);
        Assert.NotNull(instance);
        Assert.Equal(OrchestrationRuntimeStatus.Pending, instance.RuntimeStatus);
        Assert.Null(await server.Durable.GetInstanceAsync("ftjob-crafted", false, Ct));
    }

    [Fact]
    public async Task The_admin_key_opens_the_management_surface_but_starts_no_internal_or_unknown_orchestrator()
    {
        await using var server = await HostRoutesServer.StartAsync(storage);
        var id = await server.Durable.ScheduleNewOrchestrationInstanceAsync(RftOrchestrations.TrainingJob, new { jobId = "ftjob-y" }, new StartOrchestrationOptions("ftjob-op"), Ct);
        using var admin = server.Client(await server.AdminKeyAsync());

        using var status = await admin.GetAsync($"{Management}/instances/{id}", Ct);
        Assert.Equal(HttpStatusCode.Accepted, status.StatusCode);
        using var list = await admin.GetAsync($"{Management}/instances", Ct);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(id, await list.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        foreach (var (name, expected) in new[]
        {
            (RftOrchestrations.TrainingJob, HttpStatusCode.Forbidden),
            (RftOrchestrations.Validation, HttpStatusCode.Forbidden),
            (CheckpointEvaluation.Orchestration, HttpStatusCode.Forbidden),
            ("NoSuchOrchestrator", HttpStatusCode.NotFound),
        })
        {
            var instanceId = "started-" + name.ToLowerInvariant();
            using var start = await admin.PostAsync($"{Management}/orchestrators/{name}/{instanceId}", Json("""{"jobId":"ftjob-y"}"""), Ct);
            Assert.True(start.StatusCode == expected, $"{name}: {(int)start.StatusCode} {await start.Content.ReadAsStringAsync(Ct)}");
            Assert.Null(await server.Durable.GetInstanceAsync(instanceId, false, Ct));
        }

        // The operator can still act: terminate works with the admin key.
        using var terminate = await admin.PostAsync($"{Management}/instances/{id}/terminate?reason=operator", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);
    }

    [Fact]
    public async Task A_project_key_is_not_an_admin_key_and_an_admin_key_is_not_a_project_key()
    {
        await using var server = await HostRoutesServer.StartAsync(storage);
        var id = await server.Durable.ScheduleNewOrchestrationInstanceAsync(RftOrchestrations.TrainingJob, new { jobId = "ftjob-z" }, new StartOrchestrationOptions("ftjob-keys"), Ct);
        var adminKey = await server.AdminKeyAsync();
        using var admin = server.Client(adminKey);
        using var functionsKey = new HttpClient { BaseAddress = server.BaseAddress };
        functionsKey.DefaultRequestHeaders.Add("x-functions-key", adminKey);

        using var v1 = await admin.GetAsync("v1/models", Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, v1.StatusCode);
        using var viaHeader = await functionsKey.GetAsync($"{Management}/instances", Ct);
        Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
        Assert.Contains(id, await viaHeader.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_tells_anonymous_callers_only_healthy_or_unhealthy_and_the_admin_key_the_details()
    {
        await using var server = await HostRoutesServer.StartAsync(storage);
        using var anonymous = server.Client();
        using var project = server.Client(await server.ProjectKeyAsync("health"));
        using var admin = server.Client(await server.AdminKeyAsync());
        var endpoint = storage.Account.Description;

        foreach (var client in new[] { anonymous, project })
        {
            using var response = await client.GetAsync("healthz", Ct);
            var body = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var document = JsonDocument.Parse(body);
            Assert.Equal(["status"], document.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal("healthy", document.RootElement.GetProperty("status").GetString());
            Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
            Assert.DoesNotContain(endpoint, body, StringComparison.Ordinal);
        }

        using var detailed = await admin.GetAsync("healthz", Ct);
        using var report = JsonDocument.Parse(await detailed.Content.ReadAsStringAsync(Ct));
        Assert.Equal(endpoint, report.RootElement.GetProperty("storageAccount").GetString());
        Assert.Equal(["blob", "queue", "table"], report.RootElement.GetProperty("storage").EnumerateArray().Select(s => s.GetProperty("service").GetString()));
    }

    private sealed record Probe(string Method, string Route, string Url)
    {
        public string Key => $"{Method} {Route}";
    }

    /// <summary>Every (method, pattern) of the real table, with each parameter filled by a harmless value.</summary>
    private static IEnumerable<Probe> Routes(HostRoutesServer server)
    {
        foreach (var endpoint in server.Endpoints.OfType<RouteEndpoint>())
        {
            var raw = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            var url = string.Join('/', raw.Split('/').Select(s => s.StartsWith('{') ? "probe" : s));
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST", "DELETE"];
            foreach (var method in methods) yield return new Probe(method, raw, url);
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, Probe route)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Url.TrimStart('/'));
        if (route.Method is "POST" or "PUT" or "PATCH") request.Content = Json("{}");
        return client.SendAsync(request, Ct);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
