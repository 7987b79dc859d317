namespace RftFunctions.Demo.Compliance;

/// <summary><c>rft-demo compliance</c>: runs the compliance demo through the platform; last line <c>report: &lt;folder&gt;</c>.</summary>
public static class ComplianceCommand
{
    /// <summary>Runs the command; exit code 0 on success, 1 when the demo failed, 2 on bad options.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        ComplianceOptions options;
        try
        {
            options = ComplianceOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"rft-demo compliance: {e.Message}\n{ComplianceOptions.Usage}");
            return 2;
        }
        var directory = Path.GetFullPath(options.ReportDirectory ?? Path.Combine(Environment.CurrentDirectory, $"rft-demo-compliance-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
        var progress = DemoProgress.ForConsole();
        progress.Line($"compliance RFT demo: seed {options.Seed}, {options.Recipe.Steps} steps; inputs, host log and report in {directory}");
        ComplianceResult result;
        try
        {
            result = await ComplianceRunner.RunAsync(options, directory, progress, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or TimeoutException or HttpRequestException)
        {
            progress.Line($"rft-demo compliance: {e.Message}");
            return 1;
        }
        var plots = ComplianceReport.Write(directory, result, options);
        progress.Line($"held-out verdict accuracy {result.Before.VerdictAccuracy:P1} -> {result.After.VerdictAccuracy:P1}, explanation score {result.Before.ExplanationScore:P1} -> {result.After.ExplanationScore:P1} in {result.Timings["total"] / 60:F1} min");
        progress.Line($"plots: {string.Join(", ", plots)}");
        progress.Line($"open {Path.Combine(directory, "report.html")} for the charts and sample answers");
        progress.Line($"report: {directory}");
        return 0;
    }
}
