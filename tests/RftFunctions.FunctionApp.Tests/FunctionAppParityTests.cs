using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RftFunctions.FunctionApp.Http;
using RftFunctions.FunctionApp.Triggers;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>
/// The two hosts cannot drift: the Function App's generated functions.metadata names exactly the orchestrators and
/// activities of the catalog the self-hosted worker registers, each with its trigger kind, and has the HTTP, datasets
/// blob and checkpoint-manifest triggers. A task added to one host and not the other fails here.
/// </summary>
public sealed class FunctionAppParityTests(StorageFixture storage)
{
    private static readonly TaskCatalog SelfHosted = RftOrchestrations.Register(new TaskCatalog());

    private static IReadOnlyList<FunctionEntry> Functions { get; } = FunctionsMetadata.Read();

    [Fact]
    public void Orchestrators_and_activities_are_the_self_hosted_catalog_with_their_trigger_kinds()
    {
        var expected = SelfHosted.Orchestrators.Keys.Select(n => (Name: n, Kind: "orchestrationTrigger"))
            .Concat(SelfHosted.Activities.Keys.Select(n => (Name: n, Kind: "activityTrigger")))
            .Select(t => $"{t.Name}:{t.Kind}").Order(StringComparer.Ordinal).ToList();
        var actual = Functions.Where(f => f.Trigger.Type is "orchestrationTrigger" or "activityTrigger")
            .Select(f => $"{f.Name}:{f.Trigger.Type}").Order(StringComparer.Ordinal).ToList();
        // Both directions: a task only the Function App has, or only the self-hosted worker has, is a drift.
        Assert.Equal(expected, actual);
        Assert.Contains($"{RftOrchestrations.TrainingJob}:orchestrationTrigger", actual);
        Assert.Contains($"{CheckpointEvaluation.Orchestration}:orchestrationTrigger", actual);
    }

    [Fact]
    public void Every_v1_path_and_method_reaches_the_api_function_anonymously_at_the_functions_level()
    {
        var http = Functions.Where(f => f.Trigger.Type == "httpTrigger").ToList();
        var v1 = Assert.Single(http, f => f.Trigger.Route == "v1/{*path}");
        Assert.Equal(["delete", "get", "post"], v1.Trigger.Methods.Order(StringComparer.Ordinal));
        // Anonymous by decision: project keys are checked inside the pipeline (docs/security.md).
        Assert.Equal("Anonymous", v1.Trigger.AuthLevel, ignoreCase: true);
        // The durable client binding the jobs endpoints start orchestrations with.
        Assert.Contains(v1.Bindings, b => b.Type == "durableClient" && b.Direction == "In");
        // The public pages of the self-hosted host are served too, and the Event Grid webhook (its own shared key).
        Assert.Equal(["dashboard/{*asset}", "docs", "events/blob-created", "healthz", "openapi.json", "v1/{*path}"],
            http.Select(f => f.Trigger.Route!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_route_of_the_endpoint_code_is_reachable_through_an_http_function_with_its_methods()
    {
        // The route table the HTTP functions forward to, built in the worker host Program.cs runs.
        using var host = FunctionAppTestServices.BuildWorkerHost(storage);
        var endpoints = host.Services.GetRequiredService<ApiPipeline>().Endpoints;
        Assert.Contains(endpoints, e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("v1/fine_tuning/jobs", StringComparison.Ordinal));
        var http = Functions.Where(f => f.Trigger.Type == "httpTrigger").Select(f => f.Trigger).ToList();
        foreach (var endpoint in endpoints)
        {
            var route = endpoint.RoutePattern.RawText!.TrimStart('/');
            var function = http.FirstOrDefault(f => Covers(f.Route!, route));
            Assert.True(function is not null, $"no HTTP function forwards /{route}");
            // Endpoints without method metadata answer any method (the unknown-path 404); the others need theirs.
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            foreach (var method in methods)
                Assert.True(function.Methods.Contains(method.ToLowerInvariant()), $"/{route} answers {method}, its function ({function.Route}) takes {string.Join(",", function.Methods)}");
        }
    }

    /// <summary>Whether a Functions route template reaches a path: literal, or a prefix ending in a catch-all.</summary>
    private static bool Covers(string functionRoute, string route)
    {
        var catchAll = functionRoute.IndexOf("/{*", StringComparison.Ordinal);
        if (catchAll < 0) return string.Equals(functionRoute, route, StringComparison.OrdinalIgnoreCase);
        var prefix = functionRoute[..catchAll];
        return string.Equals(route, prefix, StringComparison.OrdinalIgnoreCase) || route.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_datasets_upload_and_checkpoint_manifest_triggers_watch_their_blobs()
    {
        var blobs = Functions.Where(f => f.Trigger.Type == "blobTrigger").ToDictionary(f => f.Name, f => f.Trigger.Path);
        Assert.Equal(BlobTriggerFunctions.DatasetsContainer + "/{name}", blobs["DatasetUpload"]);
        Assert.Equal(BlobTriggerFunctions.JobsContainer + "/{job}/checkpoints/{step}/manifest.json", blobs["CheckpointManifest"]);
        // The manifest trigger starts CheckpointEvaluation, so it needs the durable client.
        Assert.Contains(Functions.Single(f => f.Name == "CheckpointManifest").Bindings, b => b.Type == "durableClient");
        // The path the trigger matches is the one CheckpointEvaluation recognises as a checkpoint's manifest.
        Assert.NotNull(CheckpointEvaluation.ForBlob("ftjob-abc/checkpoints/3/manifest.json"));
    }
}
