using RftFunctions.Functions.Cli;
using Xunit;

namespace RftFunctions.Functions.Tests;

/// <summary>The production app ships no demo: the demos are their own program (src/RftFunctions.Demo).</summary>
public sealed partial class NoDemoCodeTests
{
    [Fact]
    public void The_app_assembly_has_no_demo_types()
    {
        var demoTypes = typeof(RftCommandLine).Assembly.GetTypes()
            .Where(t => (t.Namespace ?? "").Split('.').Contains("Demo", StringComparer.OrdinalIgnoreCase)
                        || t.Name.StartsWith("Demo", StringComparison.Ordinal) || GeneType().IsMatch(t.Name))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(demoTypes);
    }

    [Fact]
    public void Rft_usage_says_where_the_demo_moved() =>
        Assert.Contains("demo        moved out of the production app: dotnet run --project src/RftFunctions.Demo", RftCommandLine.Usage, StringComparison.Ordinal);

    /// <summary>The gene demo's types (GeneCase, GeneOntology, ...), not words that merely begin so (GeneralizationGap).</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^Gene[A-Z]")]
    private static partial System.Text.RegularExpressions.Regex GeneType();
}
