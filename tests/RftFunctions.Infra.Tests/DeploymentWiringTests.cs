using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace RftFunctions.Infra.Tests;

/// <summary>The pieces around the template agree with it and with the app: azd's service list and parameters, the
/// Function App image (base, publish, targets), the self-hosted images' entry point, and TorchSharp versions.</summary>
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

    /// <summary>Where the Function App project lives (design.md's FunctionApp layer; the image publishes it).</summary>
    public const string FunctionAppProject = "src/RftFunctions.FunctionApp/RftFunctions.FunctionApp.csproj";

    [GeneratedRegex(@"^  (?<name>[a-z0-9-]+):\s*\n(?<body>(    .*\n?)*)", RegexOptions.Multiline)]
    private static partial Regex ServiceBlock();

    [GeneratedRegex(@"^FROM\s+(?<image>\S+)(\s+AS\s+(?<stage>\S+))?\s*$", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [Fact]
    public void Both_apps_deploy_one_function_app_image_built_for_their_own_target()
    {
        var yaml = Read("azure.yaml");
        var services = ServiceBlock().Matches(ServicesSection().Match(yaml).Groups["body"].Value)
            .ToDictionary(m => m.Groups["name"].Value, m => m.Groups["body"].Value);
        var dockerfile = Read("infra", "docker", "functionapp.Dockerfile");
        var stages = FromLine().Matches(dockerfile).Select(m => m.Groups["stage"].Value).Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["api", "training"], services.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, body) in services)
        {
            Assert.Contains("path: infra/docker/functionapp.Dockerfile", body, StringComparison.Ordinal);
            var target = Regex.Match(body, @"target:\s*(?<t>\S+)").Groups["t"].Value;
            Assert.Equal(name, target);
            Assert.Contains(target, stages);
            // azd rewrites the app on deploy with this API version: an older one would drop kind-specific settings
            // such as allowScalingRuleOverride, and with them the training app's task hub scale rules.
            var apiVersion = Regex.Match(body, @"apiVersion:\s*(?<v>\S+)").Groups["v"].Value;
            var app = fixture.Snapshot.OfType(Invariants.ContainerAppType).Single(a => (string?)a.Json["tags"]?["azd-service-name"] == name);
            Assert.Equal((string?)app.Json["apiVersion"], apiVersion);
        }
        // The training image is the API image plus the CUDA natives, so both run the same publish output.
        Assert.Matches(@"(?m)^FROM runtime AS training\s*$", dockerfile);
        Assert.Matches(@"(?m)^FROM runtime AS api\s*$", dockerfile);
    }

    [Fact]
    public void Function_app_image_runs_the_published_function_app_on_the_functions_host_for_the_apps_framework()
    {
        var dockerfile = Read("infra", "docker", "functionapp.Dockerfile");
        var targetFramework = XDocument.Load(Path.Combine(InfraFiles.RepoRoot, "Directory.Build.props")).Descendants("TargetFramework").Single().Value;
        var runtime = FromLine().Matches(dockerfile).Single(m => m.Groups["stage"].Value == "runtime").Groups["image"].Value;
        // Microsoft's isolated-worker host image for the app's .NET version (net10.0 -> 4-dotnet-isolated10.0).
        Assert.Equal($"mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated{targetFramework["net".Length..]}", runtime);
        var publish = Regex.Match(dockerfile, @"dotnet publish (?<project>src/\S+\.csproj)").Groups["project"].Value;
        Assert.Equal(FunctionAppProject, publish);
        // The host finds the app in its script root; host.json, functions.metadata and the extension payload must be
        // there, and no local.settings.json may shadow the managed-identity settings.
        Assert.Contains("COPY --from=build /app /home/site/wwwroot", dockerfile, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsScriptRoot=/home/site/wwwroot", dockerfile, StringComparison.Ordinal);
        Assert.Contains("test -f /app/host.json && test -f /app/functions.metadata && test -d /app/.azurefunctions", dockerfile, StringComparison.Ordinal);
        Assert.Contains("rm -f /app/local.settings.sample.json /app/local.settings.json", dockerfile, StringComparison.Ordinal);
        // The host listens where the template's ingress sends traffic (port 80 in the base image).
        Assert.DoesNotContain("ASPNETCORE_URLS", dockerfile, StringComparison.Ordinal);
        foreach (var app in Invariants.Apps(fixture.Snapshot))
            Assert.Equal(80, (int?)app.Resource.Properties["configuration"]?["ingress"]?["targetPort"]);
    }

    [Fact]
    public void Blob_events_go_to_a_path_an_http_function_of_the_api_app_can_own()
    {
        // The Functions host owns /admin/* and /runtime/* (a function route there fails to register), and /v1 wants a
        // project key that Event Grid does not have; the webhook checks its own header key instead.
        var path = (string?)compiled.Templates["main.bicep"]["parameters"]!["blobEventsWebhookPath"]!["defaultValue"] ?? "";
        Assert.StartsWith("/", path, StringComparison.Ordinal);
        var first = path.TrimStart('/').Split('/')[0];
        Assert.DoesNotContain(first, new[] { "admin", "runtime", "v1", "api" }, StringComparer.OrdinalIgnoreCase);
        var topic = fixture.Snapshot.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions").ToList();
        Assert.NotEmpty(topic);
        Assert.All(topic, s => Assert.EndsWith($"{path}')]", (string?)s.Properties["destination"]?["properties"]?["endpointUrl"] ?? "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("host.Dockerfile")]
    [InlineData("gpu-worker.Dockerfile")]
    public void Self_hosted_image_publishes_the_app_and_starts_its_executable(string dockerfile)
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
        var functionApp = Read("infra", "docker", "functionapp.Dockerfile");
        Assert.Contains("COPY infra/docker/gpu/TorchSharpCuda.csproj", functionApp, StringComparison.Ordinal);
        var training = functionApp[functionApp.IndexOf("FROM runtime AS training", StringComparison.Ordinal)..];
        Assert.Contains("COPY --from=cuda /cuda/out/*.so* /home/site/wwwroot/", training[..training.IndexOf("\nFROM ", StringComparison.Ordinal)], StringComparison.Ordinal);
    }
}
