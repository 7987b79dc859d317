namespace RftFunctions.Infra.Tests;

/// <summary>The images carry the python grader sandbox: without bubblewrap the app refuses python graders.</summary>
public sealed class GraderSandboxImageTests
{
    [Theory]
    [InlineData("functionapp.Dockerfile")]
    [InlineData("host.Dockerfile")]
    [InlineData("gpu-worker.Dockerfile")]
    public void The_runtime_image_installs_bubblewrap_and_the_sandbox_interpreter(string dockerfile)
    {
        var text = File.ReadAllText(Path.Combine(InfraFiles.RepoRoot, "infra", "docker", dockerfile));
        var runtime = text[text.IndexOf("AS runtime", StringComparison.Ordinal)..];
        Assert.Matches(@"apt-get install[^\n]*\bbubblewrap\b", runtime);
        Assert.Matches(@"apt-get install[^\n]*\bpython3\b", runtime);
    }
}
