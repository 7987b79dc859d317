using System.Text.RegularExpressions;

namespace RftFunctions.Infra.Tests;

/// <summary>An orchestrator or activity as the app registers it.</summary>
public sealed record DurableFunction(string Name, string Kind);

/// <summary>
/// The orchestrators and activities the app registers, read from its source as text: every
/// <c>AddOrchestrator(name, ...)</c> / <c>AddActivity(name, ...)</c> call under src/RftFunctions.Functions/Orchestrations,
/// with <c>name</c> resolved through the <c>const string</c> declarations of those files (or a literal, or nameof).
/// Read, not referenced: the deployment must follow whatever the code registers today, under whichever names.
/// </summary>
public static partial class DurableFunctionNames
{
    /// <summary>Where the registrations live, relative to the repository root.</summary>
    public const string SourceFolder = "src/RftFunctions.Functions/Orchestrations";

    // AddOrchestrator / AddActivity and DurableTaskRegistry's AddOrchestratorFunc / AddActivityFunc, generic or not.
    [GeneratedRegex(@"\.Add(?<kind>Orchestrator|Activity)(Func)?\s*(<[^>()]*>)?\s*\(\s*(?<arg>nameof\s*\(\s*[\w.]+\s*\)|""[^""]*""|[A-Za-z_][\w.]*)")]
    private static partial Regex Registration();

    // Any call of those methods, to catch the ones the pattern above cannot name (e.g. AddActivity<T>()).
    [GeneratedRegex(@"\.Add(Orchestrator|Activity)(Func)?\b\s*(<[^>()]*>)?\s*\(")]
    private static partial Regex AnyRegistration();

    [GeneratedRegex(@"\bconst\s+string\s+(?<name>[A-Za-z_]\w*)\s*=\s*""(?<value>[^""]*)""\s*;")]
    private static partial Regex ConstantDeclaration();

    [GeneratedRegex(@"\b(?:class|record|struct)\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex TypeDeclaration();

    /// <summary>The registered functions of the repository, by name (orchestrators and activities).</summary>
    public static IReadOnlyList<DurableFunction> FromRepository()
    {
        var folder = Path.Combine(InfraFiles.RepoRoot, SourceFolder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{SourceFolder} is gone: point {nameof(DurableFunctionNames)} at where the orchestrations are registered now");
        var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(File.ReadAllText).ToList();
        return Parse(files);
    }

    /// <summary>The functions registered in these C# sources.</summary>
    public static IReadOnlyList<DurableFunction> Parse(IEnumerable<string> sources)
    {
        var texts = sources.ToList();
        // Every const string, with the file and the type that declare it (for Type.Name references).
        var constants = new List<Constant>();
        foreach (var (text, file) in texts.Select((t, i) => (t, i)))
        {
            var types = TypeDeclaration().Matches(text).Select(m => (m.Index, Name: m.Groups["name"].Value)).ToList();
            foreach (Match c in ConstantDeclaration().Matches(text))
            {
                var declaringType = types.Where(t => t.Index < c.Index).Select(t => t.Name).LastOrDefault() ?? "";
                constants.Add(new Constant(file, declaringType, c.Groups["name"].Value, c.Groups["value"].Value));
            }
        }

        var found = new List<DurableFunction>();
        foreach (var (text, file) in texts.Select((t, i) => (t, i)))
        {
            var named = Registration().Matches(text);
            foreach (Match m in named)
                found.Add(new DurableFunction(Resolve(m.Groups["arg"].Value, file, constants), m.Groups["kind"].Value));
            var unnamed = AnyRegistration().Matches(text).Where(any => !named.Any(m => m.Index == any.Index)).ToList();
            if (unnamed.Count > 0)
                throw new InvalidDataException(
                    $"registrations without a name this parser can read: {string.Join("; ", unnamed.Select(u => text.Substring(u.Index, Math.Min(80, text.Length - u.Index))))}");
        }
        if (found.Count == 0)
            throw new InvalidDataException("no AddOrchestrator/AddActivity registration found: update the parser to how the app registers its functions");
        var duplicates = found.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new InvalidDataException($"registered more than once: {string.Join(", ", duplicates)}");
        return found;
    }

    private sealed record Constant(int File, string Type, string Name, string Value);

    private static string Resolve(string argument, int file, List<Constant> constants)
    {
        if (argument.StartsWith('"')) return argument.Trim('"');
        if (argument.StartsWith("nameof", StringComparison.Ordinal))
            return argument[(argument.IndexOf('(') + 1)..argument.LastIndexOf(')')].Trim().Split('.')[^1];
        var parts = argument.Split('.');
        var name = parts[^1];
        var candidates = constants.Where(c => c.Name == name).ToList();
        // Type.Name picks the declaring type; a bare name means the file's own constant when it has one.
        if (parts.Length > 1) candidates = candidates.Where(c => c.Type == parts[^2]).ToList();
        else if (candidates.Any(c => c.File == file)) candidates = candidates.Where(c => c.File == file).ToList();
        var values = candidates.Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();
        return values.Count == 1 ? values[0] : throw new InvalidDataException(
            $"cannot resolve the registered name '{argument}' to one const string in {SourceFolder} (candidates: {string.Join(", ", values)})");
    }
}
