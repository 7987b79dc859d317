using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace RftFunctions.Infra.Tests;

/// <summary>The result of one Bicep CLI run: exit code, output, and the diagnostics it reported.</summary>
public sealed record BicepRun(int ExitCode, string StandardOutput, string StandardError, IReadOnlyList<BicepDiagnostic> Diagnostics)
{
    /// <summary>Everything the CLI printed, for assertion messages.</summary>
    public string Transcript => $"exit code {ExitCode}\n{StandardError}\n{StandardOutput}".Trim();
}

/// <summary>One diagnostic line: <c>file(line,column) : Level code: message</c>.</summary>
public sealed partial record BicepDiagnostic(string File, int Line, int Column, string Level, string Code, string Message)
{
    [GeneratedRegex(@"^(?<file>.+)\((?<line>\d+),(?<col>\d+)\) : (?<level>Error|Warning|Info) (?<code>[\w-]+): (?<message>.*)$")]
    private static partial Regex Pattern();

    /// <summary>Every diagnostic in the CLI's output (stdout and stderr both carry them, depending on the command).</summary>
    public static IReadOnlyList<BicepDiagnostic> ParseAll(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => Pattern().Match(line))
            .Where(m => m.Success)
            .Select(m => new BicepDiagnostic(
                m.Groups["file"].Value,
                int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture),
                int.Parse(m.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture),
                m.Groups["level"].Value,
                m.Groups["code"].Value,
                m.Groups["message"].Value))
            .ToList();

    public override string ToString() => $"{Path.GetFileName(File)}({Line},{Column}) {Level} {Code}: {Message}";
}

/// <summary>
/// The Bicep CLI restored from the NuGet package Azure.Bicep.CommandLine.linux-x64 (its path is baked into this
/// assembly at build time), so CI needs neither the Azure CLI nor a network download.
/// </summary>
public static class BicepCli
{
    /// <summary>Path of the <c>bicep</c> executable.</summary>
    public static string ExecutablePath { get; } = FindExecutable();

    /// <summary>Runs <c>bicep</c> with the arguments in <paramref name="workingDirectory"/> and collects diagnostics.</summary>
    public static async Task<BicepRun> RunAsync(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // No telemetry and no update checks: CI has no business calling out.
        start.Environment["BICEP_TELEMETRY_ENABLED"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ExecutablePath}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 2 minutes");
        }
        var output = await stdout;
        var error = await stderr;
        return new BicepRun(process.ExitCode, output, error, BicepDiagnostic.ParseAll(error + "\n" + output));
    }

    private static string FindExecutable()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            throw new PlatformNotSupportedException("The infra tests use the linux-x64 Bicep CLI package; run them on linux-x64.");
        var path = Metadata("BicepCli");
        if (!File.Exists(path))
            throw new FileNotFoundException($"Bicep CLI not found at {path}: restore tests/RftFunctions.Infra.Tests (package Azure.Bicep.CommandLine.linux-x64).", path);
        // NuGet extraction does not always keep the executable bit.
        var mode = File.GetUnixFileMode(path);
        if (!mode.HasFlag(UnixFileMode.UserExecute)) File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>A value baked into this assembly by the project file.</summary>
    public static string Metadata(string key) =>
        typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata '{key}' is missing from RftFunctions.Infra.Tests.csproj");
}
