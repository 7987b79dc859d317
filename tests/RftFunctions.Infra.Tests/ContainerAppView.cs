using System.Text.Json.Nodes;

namespace RftFunctions.Infra.Tests;

/// <summary>One KEDA azure-queue scale rule (Container Apps' native azureQueue or a custom azure-queue rule).</summary>
/// <param name="Metadata">accountName, queueName, queueLength (and queueLengthStrategy for custom rules).</param>
/// <param name="Identity">The managed identity the scaler authenticates with, or null.</param>
/// <param name="HasAuth">Whether the rule authenticates with secrets instead.</param>
public sealed record QueueScaleRule(JsonObject Metadata, string? Identity, bool HasAuth)
{
    /// <summary>The queue it watches.</summary>
    public string QueueName => (string?)Metadata["queueName"] ?? "";

    /// <summary>How KEDA counts the queue: <c>all</c> (its default) includes messages being processed.</summary>
    public string QueueLengthStrategy => (string?)Metadata["queueLengthStrategy"] ?? "all";

    /// <summary>The rule in a scale rule object, or null when it is not an azure-queue rule.</summary>
    public static QueueScaleRule? From(JsonObject rule)
    {
        if (rule["azureQueue"] is JsonObject native)
            return new QueueScaleRule(native, (string?)native["identity"], native["auth"] is JsonArray { Count: > 0 });
        if (rule["custom"] is JsonObject custom && (string?)custom["type"] == "azure-queue" && custom["metadata"] is JsonObject metadata)
            return new QueueScaleRule(metadata, (string?)custom["identity"], custom["auth"] is JsonArray { Count: > 0 });
        return null;
    }
}

/// <summary>A predicted Container App read the way the Functions host and the app read their settings.</summary>
public sealed class ContainerAppView
{
    public ContainerAppView(PredictedResource resource)
    {
        Resource = resource;
        var properties = resource.Properties;
        Container = (properties["template"]?["containers"] as JsonArray)?.OfType<JsonObject>().SingleOrDefault()
            ?? throw new InvalidDataException($"{resource.Name}: expected exactly one container");
        Env = Container["env"] as JsonArray ?? throw new InvalidDataException(
            $"{resource.Name}: env is not a concrete list (the template engine could not expand it): {Container["env"]?.ToJsonString()}");
        Secrets = properties["configuration"]?["secrets"] is JsonArray secrets ? secrets
            : properties["configuration"]?["secrets"] is null ? [] : throw new InvalidDataException(
                $"{resource.Name}: secrets is not a concrete list: {properties["configuration"]?["secrets"]?.ToJsonString()}");
        Scale = properties["template"]?["scale"] as JsonObject ?? [];
    }

    /// <summary>The predicted resource.</summary>
    public PredictedResource Resource { get; }

    /// <summary>The app's single container.</summary>
    public JsonObject Container { get; }

    /// <summary>The container's environment entries ({name, value} or {name, secretRef}).</summary>
    public JsonArray Env { get; }

    /// <summary>The app's secrets.</summary>
    public JsonArray Secrets { get; }

    /// <summary><c>template.scale</c>.</summary>
    public JsonObject Scale { get; }

    /// <summary>App name.</summary>
    public string Name => Resource.Name;

    /// <summary><c>kind</c>: <c>functionapp</c> for Azure Functions on Container Apps.</summary>
    public string? Kind => (string?)Resource.Json["kind"];

    /// <summary>Whether the app takes traffic from outside the environment.</summary>
    public bool ExternalIngress => (bool?)Resource.Properties["configuration"]?["ingress"]?["external"] == true;

    /// <summary>Whether the app's own scale rules replace the ones the Functions platform would generate.</summary>
    public bool OverridesGeneratedScaleRules => (bool?)Scale["allowScalingRuleOverride"] == true;

    /// <summary><c>minReplicas</c> (Container Apps' default is 0).</summary>
    public int MinReplicas => (int?)Scale["minReplicas"] ?? 0;

    /// <summary>The plain value of a setting (null when absent or a secretRef).</summary>
    public string? Setting(string name) =>
        Env.OfType<JsonObject>().FirstOrDefault(e => string.Equals((string?)e["name"], name, StringComparison.OrdinalIgnoreCase))?["value"]?.ToString();

    /// <summary>The entry of a setting, or null.</summary>
    public JsonObject? SettingEntry(string name) =>
        Env.OfType<JsonObject>().FirstOrDefault(e => string.Equals((string?)e["name"], name, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The functions the host will not run: <c>AzureWebJobs.NAME.Disabled</c> or, where variable names cannot carry
    /// dots, <c>AzureWebJobs_NAME_Disabled</c>, set to true or 1 (the two forms the Functions host reads).
    /// </summary>
    public IReadOnlySet<string> DisabledFunctions =>
        Env.OfType<JsonObject>()
            .Select(e => ((string?)e["name"] ?? "", e["value"]?.ToString() ?? ""))
            .Where(e => e.Item2.Equals("true", StringComparison.OrdinalIgnoreCase) || e.Item2 == "1")
            .Select(e => DisabledFunctionName(e.Item1))
            .Where(n => n is not null)
            .Select(n => n!)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static string? DisabledFunctionName(string setting)
    {
        foreach (var (prefix, suffix) in new[] { ("AzureWebJobs.", ".Disabled"), ("AzureWebJobs_", "_Disabled") })
            if (setting.Length > prefix.Length + suffix.Length
                && setting.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && setting.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                return setting[prefix.Length..^suffix.Length];
        return null;
    }

    /// <summary>Task hub name as the Functions host will see it (host.json's default unless overridden).</summary>
    public string HubName => Setting("AzureFunctionsJobHost__extensions__durableTask__hubName") ?? "RftHub";

    /// <summary>Control-queue partitions as the host will see them (host.json's default unless overridden).</summary>
    public int PartitionCount =>
        int.TryParse(Setting("AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount"), out var n) ? n : 4;

    /// <summary>The storage account name the app authenticates to with its identity.</summary>
    public string? StorageAccountName => Setting("AzureWebJobsStorage__accountName");

    /// <summary>The resource ids of the user-assigned identities attached to the app.</summary>
    public IReadOnlyList<string> UserAssignedIdentities =>
        (Resource.Json["identity"]?["userAssignedIdentities"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];

    /// <summary>The app's azure-queue scale rules.</summary>
    public IReadOnlyList<QueueScaleRule> QueueRules =>
        (Scale["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(QueueScaleRule.From).Where(r => r is not null).Select(r => r!).ToList();
}
