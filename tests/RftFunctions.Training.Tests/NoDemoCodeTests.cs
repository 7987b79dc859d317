using RftFunctions.Training.Config;
using Xunit;

namespace RftFunctions.Training.Tests;

/// <summary>Training holds only RFT: the demos' generators, tokenizers and base-model builders live in RftFunctions.Demo.</summary>
public sealed partial class NoDemoCodeTests
{
    [Fact]
    public void The_training_assembly_has_no_demo_types()
    {
        var demoTypes = typeof(RftTrainingConfig).Assembly.GetTypes()
            .Where(t => (t.Namespace ?? "").Split('.').Contains("Demo", StringComparer.OrdinalIgnoreCase)
                        || t.Name.StartsWith("Demo", StringComparison.Ordinal) || GeneType().IsMatch(t.Name))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(demoTypes);
    }

    /// <summary>The gene demo's types (GeneCase, GeneOntology, ...), not words that merely begin so (GeneralizationGap).</summary>
    [System.Text.RegularExpressions.GeneratedRegex("^Gene[A-Z]")]
    private static partial System.Text.RegularExpressions.Regex GeneType();
}
