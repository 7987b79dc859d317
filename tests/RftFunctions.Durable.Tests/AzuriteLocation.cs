using System.Runtime.CompilerServices;

namespace RftFunctions.Durable.Tests;

/// <summary>
/// Builds with a private --artifacts-path run the tests outside the repository, where the fixture cannot find the
/// package.json that pins Azurite; point it at the repository this file was compiled from unless already set.
/// </summary>
internal static class AzuriteLocation
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("RFT_AZURITE_DIR"))) return;
        for (var dir = new DirectoryInfo(SourceDirectory()); dir is not null; dir = dir.Parent)
        {
            var packageJson = Path.Combine(dir.FullName, "package.json");
            if (File.Exists(packageJson) && File.ReadAllText(packageJson).Contains("\"azurite\"", StringComparison.Ordinal))
            {
                Environment.SetEnvironmentVariable("RFT_AZURITE_DIR", dir.FullName);
                return;
            }
        }
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path) ?? ".";
}
