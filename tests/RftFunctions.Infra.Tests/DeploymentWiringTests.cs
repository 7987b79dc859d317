using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace RftFunctions.Infra.Tests;

/// <summary>The pieces around the template agree with it and with the app: azd's service list and parameters, the
/// Dockerfiles' entry point and TorchSharp versions.</summary>
public sealed partial class DeploymentWiringTests(SnapshotFixture fixture, CompiledInfra compiled)
{
    private static string Read(params string[] parts) => File.ReadAllText(Path.Combine([InfraFiles.RepoRoot, .. parts]));

    [GeneratedRegex(@"^services:\s*$(?<body>(\n(\s.*)?)*)", RegexOptions.Multiline)]
    private static partial Regex ServicesSection();

    [GeneratedRegex(@"^  (?<name>[a-z0-9-]+):\s*$", RegexOptions.Multiline)]
    private static partial Regex ServiceName();

    [Fact]
    public void Every_azd_service_deploys_to_an_app_of_the_template()
    {
        var yaml = Read("azure.yaml");
        var section = ServicesSection().Match(yaml);
        Assert.True(section.Success, "azure.yaml has no services section");
        var services = ServiceName().Matches(section.Groups["body"].Value).Select(m => m.Groups["name"].Value).Order().ToList();
        var tagged = fixture.Snapshot.OfType(Invariants.ContainerAppType)
            .Select(a => (string?)a.Json["tags"]?["azd-service-name"] ?? $"(untagged {a.Name})").Order().ToList();
        Assert.Equal(tagged, services);
    }

    [Fact]
    public void Azd_parameters_cover_every_required_parameter_and_name_only_real_ones()
    {
        var template = compiled.Templates["main.bicep"];
        var declared = template["parameters"]!.AsObject();
        var required = declared.Where(p => p.Value?["defaultValue"] is null).Select(p => p.Key).ToList();
        var supplied = JsonNode.Parse(Read("infra", "main.parameters.json"))!["parameters"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Empty(required.Except(supplied));
        Assert.Empty(supplied.Except(declared.Select(p => p.Key)));
    }

    [Theory]
    [InlineData("host.Dockerfile")]
    [InlineData("gpu-worker.Dockerfile")]
    public void Dockerfile_publishes_the_app_and_starts_its_executable(string dockerfile)
    {
        var text = Read("infra", "docker", dockerfile);
        var project = Regex.Match(text, @"dotnet publish (?<project>src/\S+\.csproj)").Groups["project"].Value;
        Assert.True(File.Exists(Path.Combine(InfraFiles.RepoRoot, project)), $"{dockerfile} publishes '{project}', which does not exist");
        var assemblyName = XDocument.Load(Path.Combine(InfraFiles.RepoRoot, project)).Descendants("AssemblyName").Single().Value;
        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assemblyName}.dll\"]", text, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_URLS=http://+:8080", text, StringComparison.Ordinal);
        // A local.settings.json in the image would point storage at Azurite ahead of the managed-identity settings.
        Assert.Contains("rm -f /app/local.settings.sample.json /app/local.settings.json", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Gpu_image_uses_the_cuda_build_of_the_torchsharp_version_the_app_uses()
    {
        var central = XDocument.Parse(Read("Directory.Packages.props"));
        var torchSharp = central.Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == "TorchSharp").Attribute("Version")!.Value;
        var cuda = XDocument.Parse(Read("infra", "docker", "gpu", "TorchSharpCuda.csproj"))
            .Descendants("PackageReference").Single(p => (string?)p.Attribute("Include") == "TorchSharp-cuda-linux").Attribute("Version")!.Value;
        Assert.Equal(torchSharp, cuda);
        Assert.Contains("COPY infra/docker/gpu/TorchSharpCuda.csproj", Read("infra", "docker", "gpu-worker.Dockerfile"), StringComparison.Ordinal);
    }
}
