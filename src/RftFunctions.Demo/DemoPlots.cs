using System.Globalization;
using ScottPlot;

namespace RftFunctions.Demo;

/// <summary>One held-out score before and after RFT (a share, 0..1).</summary>
/// <param name="Name">What it measures (e.g. "Top-1").</param>
/// <param name="Before">The base model's score.</param>
/// <param name="After">The fine-tuned model's score.</param>
public sealed record BeforeAfter(string Name, double Before, double After);

/// <summary>
/// The report's charts, drawn with ScottPlot: the rewards per step (training and validation), each sub-grader's
/// reward, the completion length, and the held-out scores before and after with their values on the bars. Each is a
/// titled PNG of <see cref="Width"/> x <see cref="Height"/> with labelled axes (and units) and a legend.
/// </summary>
public static class DemoPlots
{
    /// <summary>Width of every chart in pixels.</summary>
    public const int Width = 900;

    /// <summary>Height of every chart in pixels.</summary>
    public const int Height = 500;

    /// <summary>The chart files <see cref="WriteAll"/> writes, in the order the report shows them.</summary>
    public static IReadOnlyList<string> FileNames { get; } = ["reward.png", "grader_reward.png", "completion_length.png", "before_after.png"];

    private static readonly Color Train = new(0x1F, 0x77, 0xB4);
    private static readonly Color Valid = new(0xD6, 0x27, 0x28);
    private static readonly Color BeforeColor = new(0x9E, 0x9E, 0x9E);
    private static readonly Color AfterColor = new(0x2C, 0xA0, 0x2C);

    /// <summary>Writes every chart into <paramref name="directory"/>; returns their full paths.</summary>
    public static IReadOnlyList<string> WriteAll(string directory, string task, JobCurves curves, IReadOnlyList<BeforeAfter> scores)
    {
        var paths = FileNames.Select(f => Path.Combine(directory, f)).ToList();
        Rewards(task, curves).SavePng(paths[0], Width, Height);
        GraderRewards(task, curves).SavePng(paths[1], Width, Height);
        CompletionLength(task, curves).SavePng(paths[2], Width, Height);
        BeforeAfterBars(task, scores).SavePng(paths[3], Width, Height);
        return paths;
    }

    /// <summary>Training reward per step and validation reward where the job validated.</summary>
    public static Plot Rewards(string task, JobCurves curves)
    {
        var plot = StepPlot($"{task}: reward per step", "mean reward (0 = worst, 1 = best)");
        Line(plot, curves.TrainReward, Train, "training (mean of the step's samples)");
        Line(plot, curves.ValidReward, Valid, "validation (held-out items)", markerSize: 8);
        plot.Axes.SetLimitsY(-0.02, 1.05);
        return plot;
    }

    /// <summary>Each sub-grader's mean training reward per step.</summary>
    public static Plot GraderRewards(string task, JobCurves curves)
    {
        var plot = StepPlot($"{task}: training reward per grader", "mean grader score (0..1)");
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var (name, points) in curves.GraderTrainReward) Line(plot, points, palette.GetColor(i++), name);
        plot.Axes.SetLimitsY(-0.02, 1.05);
        return plot;
    }

    /// <summary>Completion length per step: mean, with the shortest and longest answer.</summary>
    public static Plot CompletionLength(string task, JobCurves curves)
    {
        var plot = StepPlot($"{task}: completion length per step", "completion length (tokens)");
        Line(plot, curves.CompletionLengthMean, Train, "mean");
        Line(plot, curves.CompletionLengthMin, BeforeColor, "shortest", markerSize: 0);
        Line(plot, curves.CompletionLengthMax, Valid, "longest", markerSize: 0);
        plot.Axes.Margins(bottom: 0);
        return plot;
    }

    /// <summary>Held-out scores before and after RFT, side by side, each bar labelled with its value.</summary>
    public static Plot BeforeAfterBars(string task, IReadOnlyList<BeforeAfter> scores)
    {
        var plot = new Plot();
        plot.Title($"{task}: held-out scores before and after RFT");
        plot.YLabel("share of held-out items (%)");
        var bars = new List<Bar>();
        for (int i = 0; i < scores.Count; i++)
        {
            bars.Add(LabelledBar((3 * i) + 0.6, scores[i].Before, BeforeColor));
            bars.Add(LabelledBar((3 * i) + 1.4, scores[i].After, AfterColor));
        }
        plot.Add.Bars(bars);
        plot.Axes.Bottom.SetTicks([.. scores.Select((_, i) => (3.0 * i) + 1)], [.. scores.Select(s => s.Name)]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(0, 115);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "base model", FillColor = BeforeColor });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "after RFT", FillColor = AfterColor });
        plot.Legend.Alignment = Alignment.UpperLeft;
        plot.ShowLegend();
        return plot;
    }

    private static Bar LabelledBar(double position, double share, Color color) => new()
    {
        Position = position,
        Value = 100 * share,
        Size = 0.8,
        FillColor = color,
        Label = (100 * share).ToString("F1", CultureInfo.InvariantCulture),
    };

    private static Plot StepPlot(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("RFT step");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.YLabel(yLabel);
        plot.Legend.Alignment = Alignment.LowerRight;
        plot.ShowLegend();
        return plot;
    }

    private static void Line(Plot plot, IReadOnlyList<CurvePoint> points, Color color, string legend, float markerSize = 5)
    {
        if (points.Count == 0) return;
        var scatter = plot.Add.Scatter(points.Select(p => (double)p.Step).ToArray(), points.Select(p => p.Value).ToArray(), color);
        scatter.LegendText = legend;
        scatter.LineWidth = 2;
        scatter.MarkerSize = markerSize;
    }
}
