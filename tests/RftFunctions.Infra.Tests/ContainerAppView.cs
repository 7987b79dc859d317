using System.Text.Json.Nodes;

namespace RftFunctions.Infra.Tests;

/// <summary>A predicted Container App read the way the app reads its settings: roles, storage, task hub.</summary>
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

    /// <summary>The plain value of a setting (null when absent or a secretRef).</summary>
    public string? Setting(string name) =>
        Env.OfType<JsonObject>().FirstOrDefault(e => string.Equals((string?)e["name"], name, StringComparison.OrdinalIgnoreCase))?["value"]?.ToString();

    /// <summary>The entry of a setting, or null.</summary>
    public JsonObject? SettingEntry(string name) =>
        Env.OfType<JsonObject>().FirstOrDefault(e => string.Equals((string?)e["name"], name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Rft__Roles as a set (the app's default is "all").</summary>
    public IReadOnlySet<string> Roles =>
        (Setting("Rft__Roles") ?? "all").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.ToLowerInvariant()).ToHashSet();

    /// <summary>Task hub name as the app will see it (host.json's default unless overridden).</summary>
    public string HubName => Setting("AzureFunctionsJobHost__extensions__durableTask__hubName") ?? "RftHub";

    /// <summary>Control-queue partitions as the app will see them (host.json's default unless overridden).</summary>
    public int PartitionCount =>
        int.TryParse(Setting("AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount"), out var n) ? n : 4;

    /// <summary>The storage account name the app authenticates to with its identity.</summary>
    public string? StorageAccountName => Setting("AzureWebJobsStorage__accountName");

    /// <summary>The resource ids of the user-assigned identities attached to the app.</summary>
    public IReadOnlyList<string> UserAssignedIdentities =>
        (Resource.Json["identity"]?["userAssignedIdentities"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];

    /// <summary>The pools this process serves (<c>pool:NAME</c> roles).</summary>
    public IReadOnlyList<string> Pools => Roles.Where(r => r.StartsWith("pool:", StringComparison.Ordinal)).Select(r => r[5..]).ToList();
}
