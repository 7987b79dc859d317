using System.Text.Json;
using Xunit;

namespace RftFunctions.Demo.Tests;

/// <summary>The report's charts: real PNGs of the stated size, drawn from a job's metrics events.</summary>
public sealed class DemoPlotsTests
{
    [Fact]
    public void Every_chart_is_a_non_trivial_png_of_the_stated_size()
    {
        var directory = Directory.CreateTempSubdirectory("rft-demo-plots-");
        try
        {
            var curves = JobCurves.FromMetrics(Enumerable.Range(1, 12).Select(Metrics));
            var paths = DemoPlots.WriteAll(directory.FullName, "Test task", curves,
                [new("Top-1", 0.2, 0.9), new("Top-5", 0.6, 1.0), new("Top-Max", 0.95, 1.0)]);
            Assert.Equal(DemoPlots.FileNames, paths.Select(Path.GetFileName));
            foreach (var path in paths) PngImage.AssertChart(path, DemoPlots.Width, DemoPlots.Height);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Curves_come_from_the_metrics_events_per_step_and_per_grader()
    {
        // Out of order and one step twice, as pages of events can deliver them.
        var curves = JobCurves.FromMetrics([Metrics(2), Metrics(1), Metrics(3), Metrics(2)]);
        Assert.Equal([1, 2, 3], curves.TrainReward.Select(p => p.Step));
        Assert.Equal(Metrics(2).GetProperty("scores").GetProperty("train_reward_mean").GetDouble(), curves.TrainReward[1].Value);
        Assert.Equal([3], curves.ValidReward.Select(p => p.Step));
        Assert.Equal(["clause", "verdict"], curves.GraderTrainReward.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(20 + 2, curves.CompletionLengthMean[1].Value);
        Assert.Equal(3, curves.CompletionLengthMax.Count);
    }

    [Fact]
    public void The_report_page_shows_every_chart() =>
        Assert.All(DemoPlots.FileNames, f => Assert.Contains($"<img src=\"{f}\"", DemoReport.ChartsHtml(), StringComparison.Ordinal));

    // A metrics event's data as RecordMetricsActivity writes it (the fields the curves read).
    private static JsonElement Metrics(int step)
    {
        double reward = 0.3 + (0.05 * step);
        var valid = step % 3 == 0 ? $", \"valid_reward_mean\": {reward - 0.1}" : "";
        var json = string.Create(System.Globalization.CultureInfo.InvariantCulture, $$"""
            {"step": {{step}}, "total_steps": 12,
             "scores": {"train_reward_mean": {{reward}}{{valid}},
                        "graders": [{"name": "verdict", "train_reward_mean": {{reward + 0.1}}}, {"name": "clause", "train_reward_mean": {{reward - 0.2}} }]},
             "diagnostics": {"completion_length_mean": {{20 + step}}, "completion_length_min": {{10 + step}}, "completion_length_max": {{30 + step}} } }
            """);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
