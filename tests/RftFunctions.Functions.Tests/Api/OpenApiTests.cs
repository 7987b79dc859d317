using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>The OpenAPI document describes exactly what the app maps, and the /docs page renders it in a real browser.</summary>
public sealed partial class OpenApiTests(StorageFixture storage)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_document_parses_resolves_its_references_and_documents_every_mapped_v1_route()
    {
        // The jobs server registers IFineTuningJobsApi (as the real host does), so /v1/fine_tuning/jobs is mapped too.
        await using var server = await JobsApiServer.StartAsync(storage);
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        using var response = await anonymous.Get("openapi.json");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(_ct));
        var root = document.RootElement;
        Assert.Equal("3.1.0", root.GetProperty("openapi").GetString());

        var documented = new HashSet<string>(StringComparer.Ordinal);
        var operationIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            var declared = Parameters(root, path.Value).ToList();
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name != "parameters"))
            {
                documented.Add($"{operation.Name.ToUpperInvariant()} {Normalise(path.Name)}");
                Assert.True(operationIds.Add(operation.Value.GetProperty("operationId").GetString()!), $"duplicate operationId in {path.Name}");
                Assert.False(string.IsNullOrWhiteSpace(operation.Value.GetProperty("summary").GetString()));
                Assert.True(operation.Value.GetProperty("responses").EnumerateObject().Any(), $"{operation.Name} {path.Name} has no responses");
                var all = declared.Concat(Parameters(root, operation.Value)).ToList();
                foreach (Match placeholder in Placeholder().Matches(path.Name))
                    Assert.Contains(all, p => p.GetProperty("in").GetString() == "path" && p.GetProperty("name").GetString() == placeholder.Groups[1].Value);
            }
        }
        AssertReferencesResolve(root, root);

        var mapped = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/v1/", StringComparison.Ordinal) && !raw.Contains("{**path}", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} {Normalise(e.RoutePattern.RawText!)}"))
            .ToHashSet(StringComparer.Ordinal);
        Assert.NotEmpty(mapped);
        var undocumented = mapped.Except(documented).Order().ToList();
        Assert.True(undocumented.Count == 0, "mapped but not in /openapi.json: " + string.Join(", ", undocumented));
        Assert.Contains("POST /v1/fine_tuning/jobs", mapped);
        Assert.Contains("GET /v1/fine_tuning/jobs/{}/checkpoints", mapped);
        // And the reverse: nothing is documented that the app does not serve.
        var unmapped = documented.Except(mapped).Order().ToList();
        Assert.True(unmapped.Count == 0, "in /openapi.json but not mapped: " + string.Join(", ", unmapped));
    }

    [Fact]
    public async Task The_docs_page_lists_every_operation_in_a_real_browser_without_a_network()
    {
        await using var server = await ApiServer.StartAsync(storage);
        using var anonymous = server.Client(key: null);
        using var page = await anonymous.Get("docs");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(_ct);
        // Offline: nothing is loaded from another origin.
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html);
        using var document = JsonDocument.Parse(await anonymous.GetText("openapi.json"));
        var operations = document.RootElement.GetProperty("paths").EnumerateObject().Sum(p => p.Value.EnumerateObject().Count(o => o.Name != "parameters"));

        var dom = await DumpDomAsync(new Uri(server.BaseAddress, "docs"));
        Assert.Contains($"data-loaded=\"{operations}\"", dom, StringComparison.Ordinal);
        foreach (var id in new[] { "uploadFile", "createFineTuningJob", "runGrader", "createChatCompletion", "listModels" })
            Assert.Contains($"data-operation=\"{id}\"", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("data-error=", dom, StringComparison.Ordinal);
    }

    /// <summary>The DOM after the page's scripts ran, from Debian's headless Chromium.</summary>
    private async Task<string> DumpDomAsync(Uri url)
    {
        var profile = Directory.CreateTempSubdirectory("rft-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo("chromium") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", $"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom", url.ToString() })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync(_ct);
            var stderr = process.StandardError.ReadToEndAsync(_ct);
            await process.WaitForExitAsync(_ct);
            var dom = await stdout;
            Assert.True(process.ExitCode == 0 && dom.Length > 0, $"chromium exited {process.ExitCode}: {await stderr}");
            return dom;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    private static IEnumerable<JsonElement> Parameters(JsonElement root, JsonElement owner) =>
        owner.TryGetProperty("parameters", out var list) ? list.EnumerateArray().Select(p => Resolve(root, p)) : [];

    private static JsonElement Resolve(JsonElement root, JsonElement value)
    {
        while (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("$ref", out var reference))
            value = reference.GetString()!.Split('/').Skip(1).Aggregate(root, (node, key) => node.GetProperty(key));
        return value;
    }

    private static void AssertReferencesResolve(JsonElement root, JsonElement node)
    {
        if (node.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in node.EnumerateObject())
            {
                if (property.Name == "$ref")
                {
                    var target = property.Value.GetString()!;
                    Assert.StartsWith("#/", target, StringComparison.Ordinal);
                    var found = target.Split('/').Skip(1).Aggregate((JsonElement?)root, (n, key) => n is { } e && e.TryGetProperty(key, out var next) ? next : null);
                    Assert.True(found is not null, $"unresolved $ref {target}");
                }
                else AssertReferencesResolve(root, property.Value);
            }
        }
        else if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray()) AssertReferencesResolve(root, item);
        }
    }

    /// <summary>Route and document templates compared without parameter names or a trailing slash.</summary>
    private static string Normalise(string template) => Placeholder().Replace(template.TrimEnd('/'), "{}");

    [GeneratedRegex(@"\{\**([^}:]+)[^}]*\}")]
    private static partial Regex Placeholder();
}
