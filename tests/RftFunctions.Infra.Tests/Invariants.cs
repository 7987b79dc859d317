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

    /// <summary>The apps as the Functions host and the app read them.</summary>
    public static IReadOnlyList<ContainerAppView> Apps(DeploymentSnapshot snapshot) =>
        snapshot.OfType(ContainerAppType).Select(r => new ContainerAppView(r)).ToList();

    /// <summary>The orchestrators and activities the app registers (read from src/ once per run).</summary>
    public static IReadOnlyList<DurableFunction> DurableFunctions => LazyDurableFunctions.Value;

    private static readonly Lazy<IReadOnlyList<DurableFunction>> LazyDurableFunctions = new(DurableFunctionNames.FromRepository);

    /// <summary>The apps that run orchestrators or activities (they do not disable every one of them).</summary>
    public static IReadOnlyList<ContainerAppView> Workers(DeploymentSnapshot snapshot) =>
        Apps(snapshot).Where(a => DurableFunctions.Any(f => !a.DisabledFunctions.Contains(f.Name))).ToList();

    /// <summary>The task hub's work-item queue (one per hub: every worker competes for every activity).</summary>
    public static string WorkItemQueue(string hubName) => $"{hubName.ToLowerInvariant()}-workitems";

    /// <summary>The task hub's control queues.</summary>
    public static IEnumerable<string> ControlQueues(string hubName, int partitionCount) =>
        Enumerable.Range(0, partitionCount).Select(i => $"{hubName.ToLowerInvariant()}-control-{i:00}");

    /// <summary>
    /// The training app: an Azure Functions app on Container Apps that runs every orchestrator and activity on a GPU
    /// profile with Rft__Device=cuda, may scale to zero (min 0), and scales on the task hub itself: its own KEDA
    /// azure-queue rules (the platform's generated rules do not cover Durable Functions on Azure Storage) on the
    /// work-item queue and on every control queue, authenticated by the app's managed identity and counting messages
    /// being processed (so a long activity keeps its replica).
    /// </summary>
    public static List<string> TrainingAppScalesFromZeroOnTheTaskHub(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var workers = Workers(snapshot);
        if (workers.Count == 0) violations.Add("no container app runs the orchestrators and activities");
        foreach (var app in workers)
        {
            if (app.Kind != "functionapp") violations.Add($"{app.Name}: kind is '{app.Kind}', not functionapp (Azure Functions on Container Apps)");
            if (app.MinReplicas != 0)
                violations.Add($"{app.Name}: minReplicas is {app.Scale["minReplicas"]?.ToJsonString() ?? "unset"}, the training app must scale to 0");
            if ((int?)app.Scale["maxReplicas"] is not >= 1)
                violations.Add($"{app.Name}: maxReplicas must be at least 1");
            if (!app.OverridesGeneratedScaleRules)
                violations.Add($"{app.Name}: allowScalingRuleOverride is not true, so the platform's generated rules (none for a Durable Functions task hub on Azure Storage) would replace the task hub rules");
            string[] queues = [WorkItemQueue(app.HubName), .. ControlQueues(app.HubName, app.PartitionCount)];
            foreach (var queue in queues) violations.AddRange(QueueScaleRuleViolations(app, queue));
            // The image carries libtorch's CUDA build, but the app only uses it when told: without Rft__Device the
            // worker would train on the node's CPU while paying for its GPU.
            var device = app.Setting("Rft__Device");
            if (device is null || !device.StartsWith("cuda", StringComparison.Ordinal))
                violations.Add($"{app.Name}: Rft__Device is {device ?? "unset"}, the training app must run its models on cuda");
            var profile = (string?)app.Resource.Properties["workloadProfileName"];
            var profileType = WorkloadProfileType(snapshot, app, profile);
            if (profileType is null || !(profileType.Contains("GPU", StringComparison.OrdinalIgnoreCase) || profileType.StartsWith("NC", StringComparison.OrdinalIgnoreCase)))
                violations.Add($"{app.Name}: runs on workload profile '{profile}' of type '{profileType}', not a GPU profile");
        }
        return violations;
    }

    private static IEnumerable<string> QueueScaleRuleViolations(ContainerAppView app, string queue)
    {
        var rule = app.QueueRules.FirstOrDefault(r => r.QueueName == queue);
        if (rule is null)
        {
            yield return $"{app.Name}: no azure-queue scale rule on {queue} (rules: {app.Scale["rules"]?.ToJsonString() ?? "none"})";
            yield break;
        }
        if ((string?)rule.Metadata["accountName"] != app.StorageAccountName)
            yield return $"{app.Name}: scale rule on {queue} reads account '{rule.Metadata["accountName"]}', the app uses '{app.StorageAccountName}'";
        if (rule.Identity is null || !app.UserAssignedIdentities.Contains(rule.Identity, StringComparer.OrdinalIgnoreCase))
            yield return $"{app.Name}: scale rule on {queue} must authenticate with the app's managed identity (identity '{rule.Identity}')";
        if (rule.HasAuth)
            yield return $"{app.Name}: scale rule on {queue} uses secret-based auth; use the managed identity";
        if (!string.Equals(rule.QueueLengthStrategy, "all", StringComparison.OrdinalIgnoreCase))
            yield return $"{app.Name}: scale rule on {queue} counts '{rule.QueueLengthStrategy}' messages; an activity's message is invisible while it runs, so only 'all' keeps a busy replica";
    }

    /// <summary>
    /// The API app (public ingress): an Azure Functions app that keeps a replica and runs none of the orchestrators
    /// and activities (each one disabled by app setting, so the Durable extension starts no task hub worker there and
    /// the app stays a client of the hub). The disabled names are exactly the ones the app registers in src/, every
    /// orchestrator and activity runs on some app, and an app that runs any of them runs all of them (a worker that
    /// lacks one fails that function's work items instead of leaving them to another worker).
    /// </summary>
    public static List<string> ApiAppRunsNoWorker(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var apps = Apps(snapshot);
        var registered = DurableFunctions.Select(f => f.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var apis = apps.Where(a => a.ExternalIngress).ToList();
        if (apis.Count == 0) violations.Add("no container app has public ingress for the API");
        foreach (var api in apis)
        {
            if (api.Kind != "functionapp") violations.Add($"{api.Name}: kind is '{api.Kind}', not functionapp (Azure Functions on Container Apps)");
            if (api.MinReplicas < 1) violations.Add($"{api.Name}: the API app must keep at least one replica");
            foreach (var function in DurableFunctions.Where(f => !api.DisabledFunctions.Contains(f.Name)))
                violations.Add($"{api.Name} runs {function.Kind.ToLowerInvariant()} {function.Name}: set AzureWebJobs_{function.Name}_Disabled=true so the API app starts no task hub worker");
        }
        foreach (var app in apps)
        {
            foreach (var stale in app.DisabledFunctions.Where(n => !registered.Contains(n)).Order(StringComparer.Ordinal))
                violations.Add($"{app.Name} disables '{stale}', which the app does not register (renamed or removed in src/?)");
            var runs = DurableFunctions.Where(f => !app.DisabledFunctions.Contains(f.Name)).ToList();
            if (runs.Count > 0 && runs.Count < DurableFunctions.Count)
                violations.Add($"{app.Name} runs {string.Join(", ", runs.Select(f => f.Name))} but not {string.Join(", ", DurableFunctions.Except(runs).Select(f => f.Name))}: a worker runs every orchestrator and activity or none");
        }
        foreach (var function in DurableFunctions.Where(f => apps.All(a => a.DisabledFunctions.Contains(f.Name))))
            violations.Add($"no app runs {function.Kind.ToLowerInvariant()} {function.Name}");
        return violations;
    }

    /// <summary>
    /// Every app names the task hub explicitly and they all name the same one: same hub, same partition count, same
    /// storage account (the API starts and controls instances that the training app runs).
    /// </summary>
    public static List<string> AppsShareOneTaskHub(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var apps = Apps(snapshot);
        foreach (var app in apps)
        {
            if (app.Setting("AzureFunctionsJobHost__extensions__durableTask__hubName") is null)
                violations.Add($"{app.Name}: the task hub name is not set (AzureFunctionsJobHost__extensions__durableTask__hubName)");
            if (app.Setting("AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount") is null)
                violations.Add($"{app.Name}: the task hub's partition count is not set");
        }
        var hubs = apps.Select(a => $"{a.StorageAccountName}/{a.HubName}/{a.PartitionCount}").Distinct(StringComparer.Ordinal).ToList();
        if (hubs.Count > 1)
            violations.Add($"the apps use different task hubs (account/hub/partitions): {string.Join("; ", apps.Select(a => $"{a.Name}={a.StorageAccountName}/{a.HubName}/{a.PartitionCount}"))}");
        return violations;
    }

    /// <summary>
    /// Every app runs as the one user-assigned identity and nothing else: the Functions host's storage connection is
    /// identity-based (AzureWebJobsStorage__credential=managedidentity with that identity's client id), the app's own
    /// DefaultAzureCredential gets the same client id, and images are pulled with it.
    /// </summary>
    public static List<string> AppsUseTheUserAssignedIdentity(DeploymentSnapshot snapshot)
    {
        var violations = new List<string>();
        var identities = snapshot.OfType("Microsoft.ManagedIdentity/userAssignedIdentities").Select(i => i.Id).ToList();
        if (identities.Count != 1) violations.Add($"expected one user-assigned identity, found {identities.Count}");
        foreach (var app in Apps(snapshot))
        {
            var type = (string?)app.Resource.Json["identity"]?["type"];
            if (type != "UserAssigned") violations.Add($"{app.Name}: identity type is '{type}', expected UserAssigned only");
            if (app.UserAssignedIdentities.Count != 1 || !identities.Contains(app.UserAssignedIdentities[0], StringComparer.OrdinalIgnoreCase))
            {
                violations.Add($"{app.Name}: must run as the deployment's user-assigned identity (has {string.Join(", ", app.UserAssignedIdentities)})");
                continue;
            }
            var identity = app.UserAssignedIdentities[0];
            bool IsClientIdOfIdentity(string? value) =>
                value is not null && value.Contains($"'{identity}'", StringComparison.OrdinalIgnoreCase) && value.EndsWith(".clientId]", StringComparison.Ordinal);
            if (!string.Equals(app.Setting("AzureWebJobsStorage__credential"), "managedidentity", StringComparison.OrdinalIgnoreCase))
                violations.Add($"{app.Name}: AzureWebJobsStorage__credential is '{app.Setting("AzureWebJobsStorage__credential")}', expected managedidentity");
            if (!IsClientIdOfIdentity(app.Setting("AzureWebJobsStorage__clientId")))
                violations.Add($"{app.Name}: AzureWebJobsStorage__clientId is not the client id of the app's identity");
            if (!IsClientIdOfIdentity(app.Setting("AZURE_CLIENT_ID")))
                violations.Add($"{app.Name}: AZURE_CLIENT_ID is not the client id of the app's identity");
            if (app.SettingEntry("AzureWebJobsStorage") is not null)
                violations.Add($"{app.Name}: AzureWebJobsStorage is set (a connection string); use AzureWebJobsStorage__accountName with the identity");
            foreach (var registry in (app.Resource.Properties["configuration"]?["registries"] as JsonArray ?? []).OfType<JsonObject>())
                if (!string.Equals((string?)registry["identity"], identity, StringComparison.OrdinalIgnoreCase))
                    violations.Add($"{app.Name}: registry {registry["server"]} is not pulled with the app's identity");
        }
        return violations;
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
                // CONNECTION__credential=managedidentity selects identity-based connections: a switch, not a secret.
                bool identitySwitch = name.EndsWith("__credential", StringComparison.OrdinalIgnoreCase)
                                      && string.Equals(value, "managedidentity", StringComparison.OrdinalIgnoreCase);
                if (SecretLikeName().IsMatch(name) && !identitySwitch)
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
            // KEDA's azure-queue scaler also takes a connection string by setting name: with shared keys off it could
            // not even authenticate, and it would need a key in the app.
            foreach (var rule in app.QueueRules.Where(r => r.Metadata.ContainsKey("connectionFromEnv") || r.Metadata.ContainsKey("connection")))
                violations.Add($"{app.Name}: scale rule on {rule.QueueName} authenticates with a connection string; use the identity");
        }
        if (snapshot.RawJson.Contains(DeploymentSnapshot.WebhookKeyValue, StringComparison.Ordinal))
            violations.Add("the secure parameter blobEventsWebhookKey appears in clear in the expanded template");
        foreach (var storage in snapshot.OfType(StorageAccountType))
            if ((bool?)storage.Properties["allowSharedKeyAccess"] != false)
                violations.Add($"storage account {storage.Name} allows shared-key access; the apps use their identity");
        return violations;
    }

    /// <summary>
    /// Every queue the apps use exists in the storage account they are configured with: the task hub's control queues
    /// and its one work-item queue (the API's client writes to them, the workers read them), the blob trigger's poison
    /// queue, and every queue a scale rule watches. And no per-pool work-item queue is left: one hub, one queue.
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
            var needed = new List<string> { WorkItemQueue(app.HubName) };
            needed.AddRange(ControlQueues(app.HubName, app.PartitionCount));
            needed.Add("webjobs-blobtrigger-poison");
            needed.AddRange(app.QueueRules.Select(r => r.QueueName));
            foreach (var queue in needed.Distinct())
                if (!queues.Contains((account, queue)))
                    violations.Add($"{app.Name} uses queue '{queue}', which storage account '{account}' does not create");
        }
        foreach (var (account, queue) in queues.Where(q => q.Queue.Contains("-workitems-", StringComparison.Ordinal)))
            violations.Add($"storage account '{account}' creates the per-pool queue '{queue}': the task hub has one work-item queue");
        return violations;
    }
}
