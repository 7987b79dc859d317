namespace RftFunctions.Functions.Demo;

/// <summary><c>rft demo</c>: runs the gene-ranking demo and prints <c>report: &lt;folder&gt;</c> as its last line.</summary>
public static class DemoCommand
{
    /// <summary>Runs the command; exit code 0 on success, 2 on bad options.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        DemoOptions options;
        try
        {
            options = DemoOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"rft demo: {e.Message}");
            return 2;
        }
        var directory = Path.GetFullPath(options.ReportDirectory ?? $"rft-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        var progress = DemoProgress.ForConsole();
        progress.Line($"gene-ranking RFT demo: seed {options.Seed}, {options.Steps} steps; inputs and report in {directory}");
        var result = await DemoRunner.RunAsync(options, directory, progress);
        DemoReport.Write(directory, result, options);
        progress.Line($"held-out top-1 {result.Before.Top1:P1} -> {result.After.Top1:P1} in {result.Timings["total"] / 60:F1} min");
        progress.Line($"report: {directory}");
        return 0;
    }
}
