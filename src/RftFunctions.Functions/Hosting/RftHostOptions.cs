namespace RftFunctions.Functions.Hosting;

/// <summary>Settings of the RftFunctions host, bound from the <c>Rft</c> section (local.settings.json: <c>Rft__*</c>).</summary>
public sealed record RftHostOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Rft";

    /// <summary>The roles a process can take.</summary>
    public static readonly IReadOnlySet<string> KnownRoles = new HashSet<string> { "all", "api", "worker" };

    /// <summary>
    /// What this process does, comma-separated: <c>all</c> (default), <c>api</c> (HTTP API and triggers, no durable
    /// worker) or <c>worker</c> (every orchestrator and activity; no API). Every worker is alike: there are no pools.
    /// </summary>
    public string Roles { get; init; } = "all";

    /// <summary>Start a private Azurite when storage is <c>UseDevelopmentStorage=true</c> and none is listening.</summary>
    public bool EmbeddedAzurite { get; init; } = true;

    /// <summary>Where the embedded Azurite keeps its data, relative to the content root.</summary>
    public string AzuriteDataDirectory { get; init; } = ".azurite";

    /// <summary>
    /// Where this process puts its models (rollouts, policy updates, chat completions): <c>cpu</c> (default),
    /// <c>cuda</c> or <c>cuda:N</c>. The GPU worker image sets <c>cuda</c>; the host refuses to start when the
    /// loaded TorchSharp build cannot use the device.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The name of the setting holding the storage connection (Functions convention).</summary>
    public string StorageConnectionName { get; init; } = "AzureWebJobsStorage";

    /// <summary>The roles as a normalised set.</summary>
    public IReadOnlySet<string> RoleSet =>
        Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.ToLowerInvariant()).ToHashSet();

    /// <summary>Throws <see cref="ArgumentException"/> naming an unknown role (the old <c>pool:NAME</c> and
    /// <c>orchestrations</c> roles included: every worker now runs everything).</summary>
    public RftHostOptions Validate()
    {
        var unknown = RoleSet.Where(r => !KnownRoles.Contains(r)).ToList();
        if (RoleSet.Count == 0 || unknown.Count > 0)
        {
            throw new ArgumentException(
                $"Rft:Roles = '{Roles}' is invalid: roles are all, api and worker (every worker runs every orchestrator and activity; there are no worker pools).");
        }
        return this;
    }
}
