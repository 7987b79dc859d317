using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RftFunctions.Demo.Genes;
using RftFunctions.Model;

namespace RftFunctions.Demo;

/// <summary>
/// The demo's base model on disk, keyed by a hash of everything that determines it (ontology, case and model options,
/// seed, builder version), so a second run loads it instead of spending minutes rebuilding the same weights.
/// </summary>
public static class DemoBaseModelCache
{
    // Bump when the builder changes what it trains, so stale caches are not reused.
    private const string BuilderVersion = "gene-demo-base-v3";

    /// <summary>The default cache root: $XDG_CACHE_HOME/rft or ~/.cache/rft.</summary>
    public static string DefaultRoot =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "rft");

    /// <summary>The cache key of a demo configuration.</summary>
    public static string Key(DemoOptions options)
    {
        var identity = JsonSerializer.Serialize(new { BuilderVersion, options.Seed, options.Recipe.Ontology, options.Recipe.Cases, options.Recipe.BaseModel });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
    }

    /// <summary>The cached model folder, built first when missing; returns the folder and whether it was built now.</summary>
    public static (string Directory, bool Built) GetOrBuild(DemoOptions options, GeneCaseGenerator cases, Action<int, int, double>? progress = null, Action<string>? building = null) =>
        GetOrBuild(options.CacheDirectory, Key(options), temp =>
        {
            using (var model = DemoBaseModelBuilder.Build(cases, options.Recipe.BaseModel, options.Seed, progress))
            {
                ModelFolder.Save(model, temp);
            }
            DemoBaseModelBuilder.WriteTokenizerFiles(temp, cases.Ontology, options.Recipe.BaseModel);
        }, building);

    /// <summary>
    /// The model folder cached under <paramref name="key"/> (in <paramref name="cacheRoot"/>, or the default root),
    /// written by <paramref name="build"/> into a folder it is given when missing; returns the folder and whether it
    /// was built now.
    /// </summary>
    public static (string Directory, bool Built) GetOrBuild(string? cacheRoot, string key, Action<string> build, Action<string>? building = null)
    {
        var root = Path.Combine(cacheRoot ?? DefaultRoot, "demo-base");
        var directory = Path.Combine(root, key);
        if (File.Exists(Path.Combine(directory, "config.json"))) return (directory, false);
        Directory.CreateDirectory(root);
        building?.Invoke(directory);
        // Built into a temporary sibling and renamed, so an interrupted build never looks like a cached model.
        var temp = Path.Combine(root, $".building-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        build(temp);
        try
        {
            Directory.Move(temp, directory);
        }
        catch (IOException) when (File.Exists(Path.Combine(directory, "config.json")))
        {
            // Another run built the same model meanwhile; its copy is identical (same seed and options).
            Directory.Delete(temp, recursive: true);
        }
        return (directory, true);
    }
}
