using System.Text.Json.Nodes;
using RftFunctions.Storage;

namespace RftFunctions.Infra.Tests;

/// <summary>The settings the template gives the apps mean what the app's code takes them to mean.</summary>
public sealed class AppSettingsTests(SnapshotFixture fixture, CompiledInfra compiled)
{
    [Fact]
    public void Every_app_reaches_storage_with_its_managed_identity_not_a_connection_string()
    {
        foreach (var app in Invariants.Apps(fixture.Snapshot))
        {
            // Environment variables nest with "__"; the app's configuration sees ":".
            var settings = app.Env.OfType<JsonObject>()
                .Where(e => e["value"] is not null)
                .ToDictionary(e => ((string)e["name"]!).Replace("__", ":", StringComparison.Ordinal), e => e["value"]!.ToString(), StringComparer.OrdinalIgnoreCase);
            var account = StorageAccount.FromSettings("AzureWebJobsStorage", key => settings.GetValueOrDefault(key));
            Assert.False(account.IsDevelopmentStorage, app.Name);
            Assert.Equal($"https://{app.StorageAccountName}.blob.core.windows.net/", account.Description);
            Assert.Contains(".clientId]", settings["AzureWebJobsStorage:clientId"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Template_defaults_match_host_json()
    {
        // host.json is what a local run uses; the deployment must create the same task hub by default.
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(InfraFiles.RepoRoot, "host.json")))!["extensions"]!["durableTask"]!;
        var parameters = compiled.Templates["main.bicep"]["parameters"]!;
        Assert.Equal((string?)hostJson["hubName"], (string?)parameters["hubName"]!["defaultValue"]);
        Assert.Equal((int?)hostJson["storageProvider"]!["partitionCount"], (int?)parameters["partitionCount"]!["defaultValue"]);
        // A training replica runs maxConcurrentActivityFunctions work items at once: the scale rule adds a replica
        // when more than that wait per replica, not sooner (idle GPUs) and not later (queued work on a full one).
        Assert.Equal((int?)hostJson["maxConcurrentActivityFunctions"], (int?)parameters["trainingWorkItemsPerReplica"]!["defaultValue"]);
    }

    [Fact]
    public void Apps_set_function_disable_flags_in_the_form_linux_environments_can_carry()
    {
        // Container Apps passes settings as environment variables, whose names cannot carry the dots of
        // AzureWebJobs.<name>.Disabled; the Functions host reads AzureWebJobs_<name>_Disabled as well.
        foreach (var app in Invariants.Apps(fixture.Snapshot))
            foreach (var name in app.Env.OfType<JsonObject>().Select(e => (string?)e["name"] ?? ""))
                Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", name);
        Assert.NotEmpty(Invariants.Apps(fixture.Snapshot).SelectMany(a => a.DisabledFunctions));
    }
}
