namespace RftFunctions.Infra.Tests;

/// <summary>Where the deployment sources live in the repository.</summary>
public static class InfraFiles
{
    /// <summary>The repository root.</summary>
    public static string RepoRoot { get; } = Path.GetFullPath(BicepCli.Metadata("RepoRoot"));

    /// <summary>The <c>infra/</c> folder.</summary>
    public static string InfraDirectory { get; } = Path.Combine(RepoRoot, "infra");

    /// <summary>Every .bicep file under infra/, relative to it, sorted.</summary>
    public static IReadOnlyList<string> BicepFiles { get; } =
        Directory.EnumerateFiles(InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(InfraDirectory, f))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Copies infra/ into a fresh temporary folder (as <c>{folder}/infra</c>) and returns the folder.</summary>
    public static string CopyToTemporaryFolder()
    {
        var root = Directory.CreateTempSubdirectory("rft-infra-").FullName;
        foreach (var source in Directory.EnumerateFiles(InfraDirectory, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(InfraDirectory, source);
            // Compiled output someone left behind must not shadow the sources.
            if (relative.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && File.Exists(Path.ChangeExtension(source, ".bicep"))) continue;
            var target = Path.Combine(root, "infra", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }
        return root;
    }
}
