using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RftFunctions.Infra.Tests;

/// <summary>
/// The deployment's invariants. Each check returns the violations it found (empty when the deployment is right), so a
/// test can assert both that the real template passes and that a broken copy is caught.
/// </summary>
public static partial class Invariants
{
    public const string ContainerAppType = "Microsoft.App/containerApps";
    public const string RoleAssignmentType = "Microsoft.Authorization/roleAssignments";
    public const string StorageAccountType = "Microsoft.Storage/storageAccounts";

    /// <summary>Built-in role definition ids (the same in every tenant) and their names.</summary>
    public static IReadOnlyDictionary<string, string> RoleNames { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["7f951dda-4ed3-4680-a7ca-43fe172d538d"] = "AcrPull",
    };

    /// <summary>The only roles the apps' identity may hold, per type of resource they are scoped to.</summary>
    public static IReadOnlyDictionary<string, string[]> MinimalRolesByScopeType { get; } = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
    {
        [StorageAccountType] = ["Storage Blob Data Contributor", "Storage Queue Data Contributor", "Storage Table Data Contributor"],
        ["Microsoft.KeyVault/vaults"] = ["Key Vault Secrets User"],
        ["Microsoft.ContainerRegistry/registries"] = ["AcrPull"],
    };

    /// <summary>The apps as the app reads them.</summary>
    public static IReadOnlyList<ContainerAppView> Apps(DeploymentSnapshot snapshot) =>
        snapshot.OfType(ContainerAppType).Select(r => new ContainerAppView(r)).ToList();

    /// <summary>
    /// The GPU worker: serves pool gpu, may scale to zero (min 0), and scales on the length of the gpu pool's
    /// work-item queue with a KEDA azure-queue rule authenticated by the app's managed identity, on a GPU profile.
    /// </summary>
    public static List<string> GpuWorkerScalesFromZeroOnItsQueue(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var gpuWorkers = Apps(snapshot).Where(a => a.Pools.Contains("gpu")).ToList();
        if (gpuWorkers.Count == 0) violations.Add("no container app serves pool:gpu");
        foreach (var app in gpuWorkers)
        {
            if ((int?)app.Scale["minReplicas"] is not 0)
                violations.Add($"{app.Name}: minReplicas is {app.Scale["minReplicas"]?.ToJsonString() ?? "unset"}, the GPU worker must scale to 0");
            if ((int?)app.Scale["maxReplicas"] is not >= 1)
                violations.Add($"{app.Name}: maxReplicas must be at least 1");
            violations.AddRange(QueueScaleRuleViolations(app, "gpu"));
            // The image carries libtorch's CUDA build, but the app only uses it when told: without Rft__Device the
            // worker would train on the node's CPU while paying for its GPU.
            var device = app.Setting("Rft__Device");
            if (device is null || !device.StartsWith("cuda", StringComparison.Ordinal))
                violations.Add($"{app.Name}: Rft__Device is {device ?? "unset"}, the GPU worker must run its models on cuda");
            var profile = (string?)app.Resource.Properties["workloadProfileName"];
            var profileType = WorkloadProfileType(snapshot, app, profile);
            if (profileType is null || !(profileType.Contains("GPU", StringComparison.OrdinalIgnoreCase) || profileType.StartsWith("NC", StringComparison.OrdinalIgnoreCase)))
                violations.Add($"{app.Name}: runs on workload profile '{profile}' of type '{profileType}', not a GPU profile");
        }
        return violations;
    }

    /// <summary>Every pool worker (not only gpu) scales on its own pool's queue; the host that serves the API keeps a
    /// replica and has ingress.</summary>
    public static List<string> AppsScaleAsTheirRolesNeed(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var apps = Apps(snapshot);
        foreach (var app in apps.Where(a => a.Pools.Count > 0 && !a.Roles.Contains("api")))
            foreach (var pool in app.Pools) violations.AddRange(QueueScaleRuleViolations(app, pool));
        var hosts = apps.Where(a => a.Roles.Contains("api") || a.Roles.Contains("all")).ToList();
        if (hosts.Count == 0) violations.Add("no container app serves the api role");
        foreach (var host in hosts)
        {
            if ((int?)host.Scale["minReplicas"] is not >= 1) violations.Add($"{host.Name}: the API host must keep at least one replica");
            if (host.Resource.Properties["configuration"]?["ingress"] is not JsonObject ingress || (bool?)ingress["external"] != true)
                violations.Add($"{host.Name}: the API host needs external ingress");
        }
        if (!apps.Any(a => a.Roles.Contains("orchestrations") || a.Roles.Contains("all")))
            violations.Add("no container app runs the orchestrations role");
        foreach (var pool in AllPools)
            if (!apps.Any(a => a.Pools.Contains(pool) || a.Roles.Contains("all"))) violations.Add($"no container app serves pool:{pool}");
        return violations;
    }

    /// <summary>The durable runtime's pools: gpu, cpu, and <c>default</c> for activities that name none.</summary>
    public static IReadOnlyList<string> AllPools { get; } = ["gpu", "cpu", "default"];

    /// <summary>A pool's work-item queue as the durable runtime names it (the default pool keeps upstream's name).</summary>
    public static string WorkItemQueue(string hubName, string pool) =>
        pool == "default" ? $"{hubName.ToLowerInvariant()}-workitems" : $"{hubName.ToLowerInvariant()}-workitems-{pool}";

    private static IEnumerable<string> QueueScaleRuleViolations(ContainerAppView app, string pool)
    {
        var expectedQueue = WorkItemQueue(app.HubName, pool);
        var rules = (app.Scale["rules"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var queueRules = rules.Select(AzureQueueRule).Where(r => r is not null).Select(r => r!).ToList();
        var rule = queueRules.FirstOrDefault(r => (string?)r.Metadata["queueName"] == expectedQueue);
        if (rule is null)
        {
            yield return $"{app.Name}: no azure-queue scale rule on {expectedQueue} (rules: {app.Scale["rules"]?.ToJsonString() ?? "none"})";
            yield break;
        }
        if ((string?)rule.Metadata["accountName"] != app.StorageAccountName)
            yield return $"{app.Name}: scale rule reads account '{rule.Metadata["accountName"]}', the app uses '{app.StorageAccountName}'";
        if (rule.Identity is null || !app.UserAssignedIdentities.Contains(rule.Identity, StringComparer.OrdinalIgnoreCase))
            yield return $"{app.Name}: scale rule must authenticate with the app's managed identity (identity '{rule.Identity}')";
        if (rule.HasAuth)
            yield return $"{app.Name}: scale rule uses secret-based auth; use the managed identity";
    }

    private sealed record QueueRule(JsonObject Metadata, string? Identity, bool HasAuth);

    /// <summary>Container Apps' native azureQueue rule or a custom KEDA rule of type azure-queue.</summary>
    private static QueueRule? AzureQueueRule(JsonObject rule)
    {
        if (rule["azureQueue"] is JsonObject native)
            return new QueueRule(native, (string?)native["identity"], native["auth"] is JsonArray { Count: > 0 });
        if (rule["custom"] is JsonObject custom && (string?)custom["type"] == "azure-queue" && custom["metadata"] is JsonObject metadata)
            return new QueueRule(metadata, (string?)custom["identity"], custom["auth"] is JsonArray { Count: > 0 });
        return null;
    }

    private static string? WorkloadProfileType(DeploymentSnapshot snapshot, ContainerAppView app, string? profileName)
    {
        var environment = snapshot.Find((string?)app.Resource.Properties["environmentId"] ?? "");
        return (environment?.Properties["workloadProfiles"] as JsonArray)?.OfType<JsonObject>()
            .Where(p => (string?)p["name"] == profileName)
            .Select(p => (string?)p["workloadProfileType"])
            .FirstOrDefault();
    }

    /// <summary>
    /// Role assignments: every one is scoped to a single resource of this deployment (never the resource group or
    /// subscription), grants the apps' user-assigned identity only the minimal role for that resource type, and the
    /// storage account gets exactly the three data roles.
    /// </summary>
    public static List<string> RoleAssignmentsAreLeastPrivilege(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var identities = snapshot.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Select(i => i.Id).ToList();
        var grantedOnStorage = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var storage in snapshot.OfType(StorageAccountType)) grantedOnStorage[storage.Id] = [];

        foreach (var assignment in snapshot.OfType(RoleAssignmentType))
        {
            var marker = "/providers/Microsoft.Authorization/roleAssignments/";
            int at = assignment.Id.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            var scope = at < 0 ? "" : assignment.Id[..at];
            var scopeResource = snapshot.Find(scope);
            var roleId = ((string?)assignment.Properties["roleDefinitionId"] ?? "").Split('/')[^1];
            var role = RoleNames.TryGetValue(roleId, out var name) ? name : $"role {roleId}";
            if (scopeResource is null)
            {
                violations.Add($"{role} is assigned at '{scope}', not on a resource of this deployment (resource group or subscription scope is too wide)");
                continue;
            }
            if (!MinimalRolesByScopeType.TryGetValue(scopeResource.Type, out var allowed) || !allowed.Contains(role))
                violations.Add($"{role} on {scopeResource.Type} '{scopeResource.Name}' is more than the apps need");
            var principal = (string?)assignment.Properties["principalId"] ?? "";
            if (!identities.Any(i => principal.Contains($"'{i}'", StringComparison.OrdinalIgnoreCase) && principal.EndsWith(".principalId]", StringComparison.Ordinal)))
                violations.Add($"{role} on '{scopeResource.Name}' is granted to '{principal}', not to the apps' user-assigned identity");
            if (grantedOnStorage.TryGetValue(scopeResource.Id, out var granted)) granted.Add(role);
        }
        if (grantedOnStorage.Count == 0) violations.Add("the deployment has no storage account");
        foreach (var (storage, granted) in grantedOnStorage)
        {
            var missing = MinimalRolesByScopeType[StorageAccountType].Except(granted).ToList();
            if (missing.Count > 0) violations.Add($"storage account {storage.Split('/')[^1]} lacks {string.Join(", ", missing)} for the apps' identity");
        }
        return violations;
    }

    [GeneratedRegex("key|secret|password|pwd|token|connection_?string|sas|credential", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeName();

    [GeneratedRegex(@"AccountKey=|InstrumentationKey=|SharedAccessSignature|[?&]sig=|listKeys\(|listSecrets\(|\.ConnectionString\b|\.primaryKey\b|\.primarySharedKey\b|parameters\('[^']*(key|secret|password)[^']*'\)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeValue();

    /// <summary>
    /// No secret travels in a plain app setting: secret-looking settings use secretRef, every secret is a Key Vault
    /// reference resolved with the app's identity, nothing holds a key or connection string in clear, registries and
    /// scale rules authenticate with the identity, and the secure parameter's value appears nowhere in the expansion.
    /// </summary>
    public static List<string> NoSecretsInPlainSettings(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        foreach (var app in Apps(snapshot))
        {
            var secretNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var secret in app.Secrets.OfType<JsonObject>())
            {
                var name = (string?)secret["name"] ?? "";
                secretNames.Add(name);
                if (secret.ContainsKey("value"))
                    violations.Add($"{app.Name}: secret '{name}' carries its value in the template; use a Key Vault reference (keyVaultUrl)");
                if (secret["keyVaultUrl"] is null)
                    violations.Add($"{app.Name}: secret '{name}' is not a Key Vault reference");
                if (!app.UserAssignedIdentities.Contains((string?)secret["identity"] ?? "", StringComparer.OrdinalIgnoreCase))
                    violations.Add($"{app.Name}: secret '{name}' is not resolved with the app's user-assigned identity");
            }
            foreach (var entry in app.Env.OfType<JsonObject>())
            {
                var name = (string?)entry["name"] ?? "";
                if (entry["secretRef"] is JsonNode reference)
                {
                    if (!secretNames.Contains(reference.ToString()))
                        violations.Add($"{app.Name}: setting {name} refers to unknown secret '{reference}'");
                    continue;
                }
                var value = entry["value"]?.ToString() ?? "";
                if (SecretLikeName().IsMatch(name))
                    violations.Add($"{app.Name}: setting {name} looks like a secret but is a plain value; use secretRef");
                if (SecretLikeValue().IsMatch(value))
                    violations.Add($"{app.Name}: setting {name} holds secret material in plain text: {value}");
                if (string.Equals(name, "AzureWebJobsStorage", StringComparison.OrdinalIgnoreCase))
                    violations.Add($"{app.Name}: AzureWebJobsStorage is a connection string; use AzureWebJobsStorage__accountName with the identity");
            }
            foreach (var registry in (app.Resource.Properties["configuration"]?["registries"] as JsonArray ?? []).OfType<JsonObject>())
                if (registry["identity"] is null || registry.ContainsKey("passwordSecretRef"))
                    violations.Add($"{app.Name}: registry {registry["server"]} must be pulled with the managed identity, not a password");
            foreach (var rule in (app.Scale["rules"] as JsonArray ?? []).OfType<JsonObject>())
                if (rule.ToJsonString().Contains("\"auth\"", StringComparison.Ordinal) && rule.ToJsonString().Contains("secretRef", StringComparison.Ordinal))
                    violations.Add($"{app.Name}: scale rule {rule["name"]} authenticates with a secret");
        }
        if (snapshot.RawJson.Contains(DeploymentSnapshot.WebhookKeyValue, StringComparison.Ordinal))
            violations.Add("the secure parameter blobEventsWebhookKey appears in clear in the expanded template");
        foreach (var storage in snapshot.OfType(StorageAccountType))
            if ((bool?)storage.Properties["allowSharedKeyAccess"] != false)
                violations.Add($"storage account {storage.Name} allows shared-key access; the apps use their identity");
        return violations;
    }

    /// <summary>
    /// Every queue the apps' roles use exists in the storage account they are configured with: each served pool's
    /// work-item queue, the task hub's control queues where orchestrations run, the hub's poison queue, the
    /// blob-trigger poison queue where the API runs, and every queue a scale rule watches.
    /// </summary>
    public static List<string> QueuesTheAppsUseExist(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var queues = snapshot.OfType("Microsoft.Storage/storageAccounts/queueServices/queues")
            .Select(q => q.Name.Split('/'))
            .Where(parts => parts.Length == 3)
            .Select(parts => (Account: parts[0], Queue: parts[2]))
            .ToHashSet();
        foreach (var app in Apps(snapshot))
        {
            if (app.StorageAccountName is not { } account)
            {
                violations.Add($"{app.Name}: AzureWebJobsStorage__accountName is not set");
                continue;
            }
            var hub = app.HubName.ToLowerInvariant();
            var needed = new List<string>();
            bool all = app.Roles.Contains("all");
            foreach (var pool in all ? AllPools : app.Pools) needed.Add(WorkItemQueue(hub, pool));
            if (all || app.Roles.Contains("orchestrations"))
                needed.AddRange(Enumerable.Range(0, app.PartitionCount).Select(i => $"{hub}-control-{i:00}"));
            // Orchestrations and activities both move undeliverable messages to the hub's poison queue.
            if (all || app.Roles.Contains("orchestrations") || app.Pools.Count > 0) needed.Add($"{hub}-poison");
            if (all || app.Roles.Contains("api")) needed.Add("webjobs-blobtrigger-poison");
            needed.AddRange((app.Scale["rules"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(AzureQueueRule).Where(r => r is not null).Select(r => (string?)r!.Metadata["queueName"] ?? ""));
            foreach (var queue in needed.Distinct())
                if (!queues.Contains((account, queue)))
                    violations.Add($"{app.Name} (roles {string.Join(",", app.Roles)}) uses queue '{queue}', which storage account '{account}' does not create");
        }
        return violations;
    }
}
