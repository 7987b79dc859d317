using System.Text.Json.Nodes;

namespace RftFunctions.Infra.Tests;

public static partial class Invariants
{
    /// <summary>Blob containers and tables the app, the Functions host and the task hub use.</summary>
    public static List<string> StorageLayoutMatchesTheApp(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var containers = snapshot.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var tables = snapshot.OfType("Microsoft.Storage/storageAccounts/tableServices/tables").Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var app in Apps(snapshot))
        {
            var account = app.StorageAccountName ?? "";
            var hub = app.HubName;
            string[] neededContainers = ["files", "datasets", "models", "jobs", "azure-webjobs-hosts", "azure-webjobs-secrets", $"{hub.ToLowerInvariant()}-largemessages", $"{hub.ToLowerInvariant()}-leases"];
            string[] neededTables = [$"{hub}History", $"{hub}Instances", $"{hub}Partitions", "Files", "Jobs", "JobEvents", "Checkpoints", "ApiKeys"];
            foreach (var container in neededContainers)
                if (!containers.Contains($"{account}/default/{container}")) violations.Add($"{app.Name}: blob container '{container}' is missing in '{account}'");
            foreach (var table in neededTables)
                if (!tables.Contains($"{account}/default/{table}")) violations.Add($"{app.Name}: table '{table}' is missing in '{account}'");
        }
        return violations;
    }

    /// <summary>
    /// Event Grid: a system topic on the storage account delivers BlobCreated for the datasets container and for
    /// checkpoint manifests under jobs/ to the API app's webhook, with the shared key sent as a secret header.
    /// </summary>
    public static List<string> BlobEventsReachTheApp(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var storage = snapshot.OfType(StorageAccountType).Select(s => s.Id).ToList();
        var topics = snapshot.OfType("Microsoft.EventGrid/systemTopics")
            .Where(t => storage.Contains((string?)t.Properties["source"] ?? "", StringComparer.OrdinalIgnoreCase)).ToList();
        if (topics.Count == 0) return ["no Event Grid system topic on the storage account"];
        var api = Apps(snapshot).FirstOrDefault(a => a.ExternalIngress);
        var subscriptions = snapshot.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions")
            .Where(s => topics.Any(t => s.Name.StartsWith(t.Name + "/", StringComparison.Ordinal))).ToList();

        bool Routes(Func<JsonObject, bool> matches) => subscriptions.Any(s =>
            s.Properties["filter"] is JsonObject filter
            && (filter["includedEventTypes"] as JsonArray ?? []).Any(t => (string?)t == "Microsoft.Storage.BlobCreated")
            && matches(filter)
            && s.Properties["destination"] is JsonObject destination
            && (string?)destination["endpointType"] == "WebHook"
            && api is not null
            && ((string?)destination["properties"]?["endpointUrl"] ?? "").Contains($"'{api.Resource.Id}'", StringComparison.OrdinalIgnoreCase)
            && (destination["properties"]?["deliveryAttributeMappings"] as JsonArray ?? []).OfType<JsonObject>()
                .Any(m => (bool?)m["properties"]?["isSecret"] == true));

        if (!Routes(f => (string?)f["subjectBeginsWith"] == "/blobServices/default/containers/datasets/blobs/"))
            violations.Add("no subscription routes BlobCreated in the datasets container to the API webhook with its secret header");
        if (!Routes(f => ((string?)f["subjectBeginsWith"] ?? "").StartsWith("/blobServices/default/containers/jobs/", StringComparison.Ordinal)
                         && (string?)f["subjectEndsWith"] == "/manifest.json"))
            violations.Add("no subscription routes BlobCreated of jobs/.../manifest.json (checkpoint manifests) to the API webhook");
        return violations;
    }

    /// <summary>
    /// Telemetry: every app gets APPLICATIONINSIGHTS_CONNECTION_STRING (the OpenTelemetry Azure Monitor exporter's
    /// setting) from a Key Vault secret holding this deployment's Application Insights connection string, and an
    /// OTEL_SERVICE_NAME; the environment ships container logs to Log Analytics.
    /// </summary>
    public static List<string> TelemetryIsWired(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var components = snapshot.OfType("Microsoft.Insights/components").Select(c => c.Id).ToList();
        var connectionSecrets = snapshot.OfType("Microsoft.KeyVault/vaults/secrets")
            .Where(s => s.Properties["value"]?.ToString() is { } value
                        && components.Any(c => value.Contains($"'{c}'", StringComparison.OrdinalIgnoreCase))
                        && value.EndsWith(".ConnectionString]", StringComparison.Ordinal))
            .ToList();
        if (connectionSecrets.Count == 0) violations.Add("no Key Vault secret holds the Application Insights connection string");
        foreach (var app in Apps(snapshot))
        {
            if (string.IsNullOrEmpty(app.Setting("OTEL_SERVICE_NAME"))) violations.Add($"{app.Name}: OTEL_SERVICE_NAME is not set");
            var entry = app.SettingEntry("APPLICATIONINSIGHTS_CONNECTION_STRING");
            var secret = app.Secrets.OfType<JsonObject>().FirstOrDefault(s => (string?)s["name"] == entry?["secretRef"]?.ToString());
            var url = (string?)secret?["keyVaultUrl"] ?? "";
            if (!connectionSecrets.Any(s => url.Contains($"'{s.Id[..s.Id.IndexOf("/secrets/", StringComparison.Ordinal)]}'", StringComparison.OrdinalIgnoreCase)
                                            && url.EndsWith($"'{s.LeafName}')]", StringComparison.Ordinal)))
                violations.Add($"{app.Name}: APPLICATIONINSIGHTS_CONNECTION_STRING does not come from the Key Vault secret holding the Application Insights connection string");
        }
        foreach (var environment in snapshot.OfType("Microsoft.App/managedEnvironments"))
            if ((string?)environment.Properties["appLogsConfiguration"]?["destination"] != "log-analytics")
                violations.Add($"{environment.Name}: container logs do not go to Log Analytics");
        return violations;
    }
}
