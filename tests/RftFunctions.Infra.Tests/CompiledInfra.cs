using System.Text.Json.Nodes;

namespace RftFunctions.Infra.Tests;

/// <summary>
/// infra/ compiled and linted once per test run, each with a single Bicep CLI process over every file (the CLI's
/// start-up dominates its run time), on a copy so no compiled .json lands in the repository.
/// </summary>
public sealed class CompiledInfra : IAsyncLifetime
{
    private const string Pattern = "infra/**/*.bicep";
    private string? _root;

    /// <summary>The build run (diagnostics of every file).</summary>
    public BicepRun Build { get; private set; } = null!;

    /// <summary>The lint run (diagnostics of every file).</summary>
    public BicepRun Lint { get; private set; } = null!;

    /// <summary>The compiled ARM template of each .bicep file, by path relative to infra/.</summary>
    public IReadOnlyDictionary<string, JsonObject> Templates { get; private set; } = new Dictionary<string, JsonObject>();

    public async ValueTask InitializeAsync()
    {
        _root = InfraFiles.CopyToTemporaryFolder();
        Build = await BicepCli.RunAsync(_root, "build", "--pattern", Pattern);
        Lint = await BicepCli.RunAsync(_root, "lint", "--pattern", Pattern);
        var infra = Path.Combine(_root, "infra");
        Templates = InfraFiles.BicepFiles
            .Where(f => File.Exists(Path.Combine(infra, Path.ChangeExtension(f, ".json"))))
            .ToDictionary(f => f, f => JsonNode.Parse(File.ReadAllText(Path.Combine(infra, Path.ChangeExtension(f, ".json"))))!.AsObject());
    }

    /// <summary>The diagnostics a run reported for one file (path relative to infra/).</summary>
    public IReadOnlyList<BicepDiagnostic> DiagnosticsOf(BicepRun run, string file) =>
        run.Diagnostics.Where(d => string.Equals(
            Path.GetRelativePath(Path.Combine(_root!, "infra"), d.File), file, StringComparison.Ordinal)).ToList();

    public ValueTask DisposeAsync()
    {
        if (_root is not null) Directory.Delete(_root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
