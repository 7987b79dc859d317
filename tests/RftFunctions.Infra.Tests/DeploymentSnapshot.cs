using System.Text;
using System.Text.Json.Nodes;

namespace RftFunctions.Infra.Tests;

/// <summary>A text change applied to a copy of infra/ before the snapshot, to prove an invariant check can fail.</summary>
/// <param name="File">Path under infra/, e.g. <c>modules/storage.bicep</c>.</param>
/// <param name="Find">Text that must occur exactly once in the file.</param>
/// <param name="Replace">What it becomes.</param>
public sealed record TemplateEdit(string File, string Find, string Replace);

/// <summary>One resource as the ARM template engine predicts it: names and values evaluated, runtime values (a
/// resource's reference(), secure parameters) left as expressions.</summary>
public sealed record PredictedResource(string Id, string Type, string Name, JsonObject Json)
{
    /// <summary>The resource's <c>properties</c>, or an empty object.</summary>
    public JsonObject Properties => Json["properties"] as JsonObject ?? [];

    /// <summary>The last segment of the name (a queue's own name rather than <c>account/default/queue</c>).</summary>
    public string LeafName => Name[(Name.LastIndexOf('/') + 1)..];
}

/// <summary>
/// The deployment as Azure would receive it: <c>bicep snapshot</c> compiles infra/main.bicep to an ARM template and
/// expands it with the ARM template engine (modules inlined, loops and conditions resolved) for a fixed subscription,
/// resource group and parameters, so invariants are checked on concrete names and values.
/// </summary>
public sealed class DeploymentSnapshot
{
    /// <summary>Subscription the snapshot pretends to deploy to.</summary>
    public const string SubscriptionId = "00000000-0000-0000-0000-0000000000aa";

    /// <summary>Resource group the snapshot pretends to deploy to.</summary>
    public const string ResourceGroup = "rg-rft-ci";

    /// <summary>The secure parameter's value in tests; it must never appear in the expanded template.</summary>
    public const string WebhookKeyValue = "ci-webhook-key-6b1f0e";

    /// <summary>The parameters every snapshot uses unless overridden (Bicep expressions).</summary>
    public static IReadOnlyDictionary<string, string> DefaultParameters { get; } = new Dictionary<string, string>
    {
        ["environmentName"] = "'ci'",
        ["blobEventsWebhookKey"] = $"'{WebhookKeyValue}'",
        ["blobEventsEnabled"] = "true",
    };

    private DeploymentSnapshot(string rawJson, IReadOnlyList<PredictedResource> resources)
    {
        RawJson = rawJson;
        Resources = resources;
    }

    /// <summary>The snapshot file as bicep wrote it.</summary>
    public string RawJson { get; }

    /// <summary>Every predicted resource.</summary>
    public IReadOnlyList<PredictedResource> Resources { get; }

    /// <summary>Resources of one type (case-insensitive, as ARM compares types).</summary>
    public IEnumerable<PredictedResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    /// <summary>The resource with this id, or null.</summary>
    public PredictedResource? Find(string id) =>
        Resources.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Snapshots the repository's infra/ (optionally edited) with the default parameters plus overrides.</summary>
    public static async Task<DeploymentSnapshot> CreateAsync(
        IReadOnlyList<TemplateEdit>? edits = null, IReadOnlyDictionary<string, string>? parameters = null)
    {
        var root = InfraFiles.CopyToTemporaryFolder();
        try
        {
            foreach (var edit in edits ?? []) Apply(root, edit);
            var merged = new Dictionary<string, string>(DefaultParameters);
            foreach (var (name, value) in parameters ?? new Dictionary<string, string>()) merged[name] = value;
            var parameterFile = new StringBuilder("using 'infra/main.bicep'\n");
            foreach (var (name, value) in merged) parameterFile.Append("param ").Append(name).Append(" = ").Append(value).Append('\n');
            File.WriteAllText(Path.Combine(root, "ci.bicepparam"), parameterFile.ToString());

            var run = await BicepCli.RunAsync(root, "snapshot", "ci.bicepparam",
                "--subscription-id", SubscriptionId, "--resource-group", ResourceGroup, "--location", "westeurope");
            var snapshotPath = Path.Combine(root, "ci.snapshot.json");
            // Lint warnings are the lint test's business; a broken copy may well trigger some.
            if (run.ExitCode != 0 || run.Diagnostics.Any(d => d.Level == "Error") || !File.Exists(snapshotPath))
                throw new InvalidOperationException($"bicep snapshot failed:\n{run.Transcript}");
            var raw = File.ReadAllText(snapshotPath);
            var document = JsonNode.Parse(raw) as JsonObject ?? throw new InvalidDataException("snapshot is not a JSON object");
            if (document["diagnostics"] is JsonArray { Count: > 0 } diagnostics)
                throw new InvalidOperationException($"bicep snapshot reported diagnostics: {diagnostics.ToJsonString()}");
            var resources = (document["predictedResources"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Select(r => new PredictedResource(
                    (string?)r["id"] ?? throw new InvalidDataException("predicted resource without id"),
                    (string?)r["type"] ?? "",
                    (string?)r["name"] ?? "",
                    r))
                .ToList();
            return new DeploymentSnapshot(raw, resources);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Apply(string root, TemplateEdit edit)
    {
        var path = Path.Combine(root, "infra", edit.File);
        var text = File.ReadAllText(path);
        int first = text.IndexOf(edit.Find, StringComparison.Ordinal);
        if (first < 0 || text.IndexOf(edit.Find, first + 1, StringComparison.Ordinal) >= 0)
            throw new InvalidOperationException($"infra/{edit.File}: the edit's text must occur exactly once: {edit.Find}");
        File.WriteAllText(path, string.Concat(text.AsSpan(0, first), edit.Replace, text.AsSpan(first + edit.Find.Length)));
    }
}
