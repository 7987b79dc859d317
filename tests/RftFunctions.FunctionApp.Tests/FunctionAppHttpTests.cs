using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RftFunctions.FunctionApp.Http;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Hosting;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>
/// The Function App's HTTP functions answer exactly as the self-hosted host does, because they run the same endpoint
/// code. Two servers on one storage account: the self-hosted host's composition and route table
/// (<see cref="RftAppServices.AddRftApp"/>, <see cref="RftEndpoints.Map"/>), and the Function App's composition with
/// each request handed to <see cref="ApiFunctions.V1"/> the way the Functions ASP.NET Core integration does (the
/// request's services are the invocation's scope; a returned IActionResult is executed on the HttpContext). Each
/// request goes to both; status and JSON must be equal.
/// </summary>
public sealed class FunctionAppHttpTests(StorageFixture storage) : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private WebApplication _selfHosted = null!;
    private WebApplication _functionApp = null!;
    private HttpClient _self = null!;
    private HttpClient _function = null!;

    public async ValueTask InitializeAsync()
    {
        var prefix = storage.UniqueName("h");
        var settings = FunctionAppTestServices.Settings(storage, prefix);
        _selfHosted = await StartSelfHostedAsync(settings, prefix);
        // The [DurableClient] binding's client: one for the same task hub.
        var client = _selfHosted.Services.GetRequiredService<DurableTaskClient>();
        _functionApp = await StartFunctionAppAsync(settings, client);
        _self = new HttpClient { BaseAddress = new Uri(_selfHosted.Urls.First()) };
        _function = new HttpClient { BaseAddress = new Uri(_functionApp.Urls.First()) };
    }

    public async ValueTask DisposeAsync()
    {
        _self.Dispose();
        _function.Dispose();
        await _functionApp.DisposeAsync();
        await _selfHosted.DisposeAsync();
    }

    [Fact]
    public async Task Models_with_a_project_key_answer_the_same_list()
    {
        var key = await CreateKeyAsync("funcapp");
        var (self, function) = await BothAsync(HttpMethod.Get, "/v1/models", key);
        Assert.Equal(200, self.Status);
        Assert.Equal("list", self.Json!["object"]!.GetValue<string>());
        AssertSame(self, function);
    }

    [Fact]
    public async Task No_key_is_401_in_OpenAIs_error_envelope_from_both()
    {
        var (self, function) = await BothAsync(HttpMethod.Get, "/v1/models", key: null);
        Assert.Equal(401, self.Status);
        var error = self.Json!["error"]!;
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        Assert.NotNull(error["type"]);
        AssertSame(self, function);
    }

    [Fact]
    public async Task An_unknown_v1_path_is_the_same_404()
    {
        var key = await CreateKeyAsync("funcapp");
        var (self, function) = await BothAsync(HttpMethod.Get, "/v1/no/such/route", key);
        Assert.Equal(404, self.Status);
        Assert.Equal("unknown_url", self.Json!["error"]!["code"]!.GetValue<string>());
        AssertSame(self, function);
    }

    [Fact]
    public async Task A_bad_job_request_is_the_same_400_naming_the_field()
    {
        // The jobs endpoints resolve the job services per request, built on the invocation's durable client.
        var key = await CreateKeyAsync("funcapp");
        var body = """{"model":"no-such-model","method":{"type":"reinforcement"}}""";
        var (self, function) = await BothAsync(HttpMethod.Post, "/v1/fine_tuning/jobs", key, body);
        Assert.Equal(400, self.Status);
        Assert.False(string.IsNullOrEmpty(self.Json!["error"]!["param"]?.GetValue<string>()), self.Text);
        AssertSame(self, function);
    }

    [Fact]
    public async Task Files_uploaded_through_the_function_are_the_self_hosted_hosts_files()
    {
        var key = await CreateKeyAsync("funcapp");
        using var function = Client(_function, key);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("fine-tune"), "purpose" },
            { new ByteArrayContent(Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"Which gene?"}],"reference_answer":"BRCA1"}""")), "file", "train.jsonl" },
        };
        var uploaded = await Answer.ReadAsync(await function.PostAsync("/v1/files", form, Ct));
        Assert.True(uploaded.Status == 200, uploaded.Text);
        var id = uploaded.Json!["id"]!.GetValue<string>();
        var (self, viaFunction) = await BothAsync(HttpMethod.Get, $"/v1/files/{id}", key);
        Assert.Equal(200, self.Status);
        AssertSame(self, viaFunction);
    }

    [Fact]
    public async Task The_public_pages_are_the_same()
    {
        foreach (var path in new[] { "/healthz", "/openapi.json", "/docs", "/dashboard", "/dashboard/dashboard.js" })
        {
            var (self, function) = await BothAsync(HttpMethod.Get, path, key: null);
            Assert.True(self.Status == 200, $"{path}: {self.Status}");
            AssertSame(self, function);
        }
    }

    private async Task<WebApplication> StartSelfHostedAsync(Dictionary<string, string?> settings, string prefix)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var options = new RftHostOptions { Roles = "api" };
        builder.Services.AddRftApp(builder.Configuration, storage.Account, options, ComputeDevice.Cpu);
        builder.Services.AddTaskHub(storage.Account, new TaskHubOptions { HubName = prefix + "hub" }, runWorker: false);
        var app = builder.Build();
        RftEndpoints.Map(app, options);
        await app.StartAsync(Ct);
        return app;
    }

    private static async Task<WebApplication> StartFunctionAppAsync(Dictionary<string, string?> settings, DurableTaskClient client)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddRftFunctionApp(builder.Configuration);
        var app = builder.Build();
        // What the Functions host and its ASP.NET Core integration do with a request: pick the function whose route
        // matches (FunctionAppParityTests checks these routes in functions.metadata), create the function class from
        // the invocation's services, execute its IActionResult on the request's HttpContext.
        app.Run(async context =>
        {
            var functions = ActivatorUtilities.CreateInstance<ApiFunctions>(context.RequestServices);
            var path = context.Request.Path.Value ?? "";
            IActionResult? result = path switch
            {
                "/healthz" => functions.Health(context.Request),
                "/openapi.json" => functions.OpenApiDocument(context.Request),
                "/docs" => functions.ApiDocs(context.Request),
                _ when path == "/dashboard" || path.StartsWith("/dashboard/", StringComparison.Ordinal) => functions.Dashboard(context.Request),
                _ when path == "/v1" || path.StartsWith("/v1/", StringComparison.Ordinal) => functions.V1(context.Request, client),
                _ => null,
            };
            if (result is null) context.Response.StatusCode = StatusCodes.Status404NotFound;
            else await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
        });
        await app.StartAsync(Ct);
        return app;
    }

    private async Task<string> CreateKeyAsync(string project)
    {
        var (_, secret) = await _selfHosted.Services.GetRequiredService<ApiKeyStore>().CreateAsync(project, Ct);
        return secret;
    }

    private static HttpClient Client(HttpClient server, string? key)
    {
        var client = new HttpClient { BaseAddress = server.BaseAddress };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private async Task<(Answer Self, Answer Function)> BothAsync(HttpMethod method, string path, string? key, string? json = null)
    {
        async Task<Answer> SendAsync(HttpClient server)
        {
            using var client = Client(server, key);
            using var request = new HttpRequestMessage(method, path);
            if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            return await Answer.ReadAsync(await client.SendAsync(request, Ct));
        }
        return (await SendAsync(_self), await SendAsync(_function));
    }

    private static void AssertSame(Answer self, Answer function)
    {
        Assert.True(self.Status == function.Status, $"self-hosted {self.Status}: {self.Text}\nFunction App {function.Status}: {function.Text}");
        Assert.Equal(self.ContentType, function.ContentType);
        if (self.Json is not null) Assert.True(JsonNode.DeepEquals(self.Json, function.Json), $"self-hosted: {self.Text}\nFunction App: {function.Text}");
        else Assert.Equal(self.Text, function.Text);
    }

    private sealed record Answer(int Status, string? ContentType, string Text, JsonNode? Json)
    {
        public static async Task<Answer> ReadAsync(HttpResponseMessage response)
        {
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(Ct);
                var type = response.Content.Headers.ContentType?.MediaType;
                JsonNode? json = null;
                if (type == "application/json" && text.Length > 0)
                {
                    try
                    {
                        json = JsonNode.Parse(text);
                    }
                    catch (JsonException)
                    {
                        json = null;
                    }
                }
                return new Answer((int)response.StatusCode, type, text, json);
            }
        }
    }
}
