namespace RftFunctions.Demo;

/// <summary><c>rft-demo [genes|compliance]</c>: runs a demo through the platform and prints <c>report: &lt;folder&gt;</c> as its last line.</summary>
public static class DemoCommand
{
    /// <summary>Runs the command; exit code 0 on success, 1 when the demo failed, 2 on bad options.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        // The gene-ranking demo is the default, so `rft-demo --seed 1` and `rft-demo genes --seed 1` agree.
        int threads;
        try
        {
            (args, threads) = DemoThreads.Take(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"rft-demo: {e.Message}");
            return 2;
        }
        TorchSharp.torch.set_num_threads(threads);
        if (args.Length > 0 && args[0] == "compliance") return await Compliance.ComplianceCommand.RunAsync(args[1..], cancellationToken);
        if (args.Length > 0 && args[0] == "genes") args = args[1..];
        DemoOptions options;
        try
        {
            options = DemoOptions.Parse(args);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"rft-demo: {e.Message}\n{DemoOptions.Usage}");
            return 2;
        }
        var directory = Path.GetFullPath(options.ReportDirectory ?? Path.Combine(Environment.CurrentDirectory, $"rft-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}"));
        var progress = DemoProgress.ForConsole();
        progress.Line($"gene-ranking RFT demo: seed {options.Seed}, {options.Steps} steps; inputs, host log and report in {directory}");
        DemoResult result;
        try
        {
            result = await DemoRunner.RunAsync(options, directory, progress, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or TimeoutException or HttpRequestException)
        {
            progress.Line($"rft-demo: {e.Message}");
            return 1;
        }
        var plots = DemoReport.Write(directory, result, options);
        progress.Line($"held-out top-1 {result.Before.Top1:P1} -> {result.After.Top1:P1} in {result.Timings["total"] / 60:F1} min; dashboard (while a host runs): {result.DashboardUrl}");
        progress.Line($"plots: {string.Join(", ", plots)}");
        progress.Line($"open {Path.Combine(directory, "report.html")} for the charts and sample answers");
        progress.Line($"report: {directory}");
        return 0;
    }
}
