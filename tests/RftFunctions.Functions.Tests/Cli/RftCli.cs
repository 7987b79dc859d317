using System.Diagnostics;
using Xunit;

namespace RftFunctions.Functions.Tests.Cli;

/// <summary>One run of the real <c>rft</c> binary: exit code, standard output and standard error kept apart.</summary>
internal sealed record CliResult(int Code, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {Code}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs <c>rft</c> as a user does: a private content root, settings only from the given environment.</summary>
internal static class RftCli
{
    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var ct = TestContext.Current.CancellationToken;
        var root = Directory.CreateTempSubdirectory("rft-cli-").FullName;
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "host.json"), Path.Combine(root, "host.json"));
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                WorkingDirectory = root,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rft.dll"));
            foreach (var arg in args) start.ArgumentList.Add(arg);
            start.Environment["RFT_ROOT"] = root;
            // The developer's own settings must not leak into what is tested.
            foreach (var name in new[] { "RFT_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "ASPNETCORE_URLS" }) start.Environment.Remove(name);
            foreach (var (key, value) in environment) start.Environment[key] = value;
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return new CliResult(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
