namespace RftFunctions.Infra.Tests;

/// <summary>Every Bicep file compiles and lints without a single diagnostic (warnings count as failures).</summary>
public sealed class BicepCompileTests(CompiledInfra compiled)
{
    public static TheoryData<string> Files => new(InfraFiles.BicepFiles);

    [Fact]
    public void Infra_holds_the_main_template_and_its_modules()
    {
        Assert.Contains("main.bicep", InfraFiles.BicepFiles);
        Assert.Contains(InfraFiles.BicepFiles, f => f.StartsWith("modules", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Bicep_file_builds_without_diagnostics(string file)
    {
        var diagnostics = compiled.DiagnosticsOf(compiled.Build, file);
        Assert.True(compiled.Build.ExitCode == 0 && diagnostics.Count == 0,
            $"bicep build {file}:\n{string.Join('\n', diagnostics)}\n{compiled.Build.Transcript}");
        Assert.True(compiled.Templates.TryGetValue(file, out var template), $"bicep build wrote no template for {file}");
        Assert.Contains("deploymentTemplate.json", (string?)template["$schema"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Bicep_file_lints_clean(string file)
    {
        var diagnostics = compiled.DiagnosticsOf(compiled.Lint, file);
        Assert.True(compiled.Lint.ExitCode == 0 && diagnostics.Count == 0,
            $"bicep lint {file}:\n{string.Join('\n', diagnostics)}\n{compiled.Lint.Transcript}");
    }

    [Fact]
    public void Main_template_inlines_every_module_as_a_nested_deployment()
    {
        var resources = compiled.Templates["main.bicep"]["resources"]!.AsArray();
        var nested = resources.Where(r => (string?)r?["type"] == "Microsoft.Resources/deployments").ToList();
        var modules = InfraFiles.BicepFiles.Count(f => f.StartsWith("modules", StringComparison.Ordinal));
        // Each module is used at least once; function-app.bicep twice.
        Assert.True(nested.Count >= modules, $"{nested.Count} nested deployments for {modules} modules");
        Assert.All(nested, n => Assert.NotNull(n!["properties"]?["template"]));
    }

    [Fact]
    public void Lint_warnings_are_recognised_as_diagnostics()
    {
        // The lint test is only worth something if the CLI's warning lines parse as diagnostics.
        var parsed = BicepDiagnostic.ParseAll(
            "/x/infra/main.bicep(208,29) : Warning no-unnecessary-dependson: Remove unnecessary dependsOn entry 'environment'. [https://aka.ms/bicep/linter-diagnostics#no-unnecessary-dependson]\n" +
            "Some other output\n/x/infra/modules/a.bicep(1,7) : Error BCP183: The value must be an object literal.");
        Assert.Equal(["no-unnecessary-dependson", "BCP183"], parsed.Select(d => d.Code));
        Assert.Equal(["Warning", "Error"], parsed.Select(d => d.Level));
        Assert.Equal(208, parsed[0].Line);
    }
}
