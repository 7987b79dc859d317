using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Demo.Genes;

namespace RftFunctions.Demo;

/// <summary>Writes the report folder: report.json, the charts (<see cref="DemoPlots"/>), and report.html with example cases.</summary>
public static class DemoReport
{
    /// <summary>The task's name in chart titles.</summary>
    public const string Task = "Gene ranking";

    /// <summary>Writes the report for <paramref name="result"/> into <paramref name="directory"/>; returns the charts' paths.</summary>
    public static IReadOnlyList<string> Write(string directory, DemoResult result, DemoOptions options)
    {
        Directory.CreateDirectory(directory);
        var report = new JsonObject
        {
            ["job_id"] = result.JobId,
            ["base_model"] = result.BaseModel,
            ["fine_tuned_model"] = result.FineTunedModel,
            ["top1_before"] = result.Before.Top1,
            ["top1_after"] = result.After.Top1,
            ["reasoned_before"] = result.Before.Reasoned,
            ["reasoned_after"] = result.After.Reasoned,
            ["top5_before"] = result.Before.Top5,
            ["top5_after"] = result.After.Top5,
            ["topmax_before"] = result.Before.TopMax,
            ["topmax_after"] = result.After.TopMax,
            ["evaluation"] = $"{result.ValidCases.Count} held-out cases (validation genes disjoint from training genes), one greedy answer each through /v1/chat/completions (temperature 0, at most {DemoEvaluation.MaxAnswerTokens} tokens)",
            ["steps"] = result.Steps,
            ["seed"] = options.Seed,
            ["base_model_built"] = result.BaseModelBuilt,
            ["base_model_directory"] = result.BaseModelDirectory,
            ["train_reward"] = Curve(result.Curves.TrainReward, "reward"),
            ["valid_reward"] = Curve(result.Curves.ValidReward, "reward"),
            ["grader_train_reward"] = new JsonObject([.. result.Curves.GraderTrainReward.Select(g => KeyValuePair.Create(g.Key, (JsonNode?)Curve(g.Value, "reward")))]),
            ["completion_length_mean"] = Curve(result.Curves.CompletionLengthMean, "tokens"),
            ["timings_seconds"] = new JsonObject([.. result.Timings.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]),
        };
        File.WriteAllText(Path.Combine(directory, "report.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var plots = DemoPlots.WriteAll(directory, Task, result.Curves,
        [
            new("Top-1", result.Before.Top1, result.After.Top1),
            new("Top-5", result.Before.Top5, result.After.Top5),
            new("Top-Max", result.Before.TopMax, result.After.TopMax),
        ]);
        File.WriteAllText(Path.Combine(directory, "report.html"), Html(result));
        return plots;
    }

    /// <summary>A curve as report.json writes it: [{"step": s, NAME: v}, ...].</summary>
    public static JsonArray Curve(IReadOnlyList<CurvePoint> points, string name) =>
        new([.. points.Select(p => (JsonNode)new JsonObject { ["step"] = p.Step, [name] = p.Value })]);

    /// <summary>The charts' section of report.html: each chart with a caption.</summary>
    public static string ChartsHtml() => string.Concat(DemoPlots.FileNames.Zip(ChartCaptions, (file, caption) =>
        $"<figure><img src=\"{file}\" width=\"{DemoPlots.Width}\" height=\"{DemoPlots.Height}\" alt=\"{WebUtility.HtmlEncode(caption)}\"><figcaption>{WebUtility.HtmlEncode(caption)}</figcaption></figure>"));

    private static readonly string[] ChartCaptions =
    [
        "Mean reward per RFT step: training samples, and the held-out validation items where the job validated.",
        "Each sub-grader's mean training reward per step (the multi grader's parts).",
        "Completion length per step in tokens: mean, shortest and longest sampled answer.",
        "Held-out scores of the base model and the fine-tuned model (one greedy answer per item).",
    ];

    private static string Html(DemoResult r)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>RFT gene-ranking demo</title>")
            .Append("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{border:1px solid #ccc;padding:.3em .6em}table{border-collapse:collapse}pre{white-space:pre-wrap}</style></head><body>")
            .Append($"<h1>Gene-ranking RFT demo</h1><p>Job <code>{E(r.JobId)}</code> ({r.Steps} steps): <code>{E(r.BaseModel)}</code> &rarr; <code>{E(r.FineTunedModel)}</code>. ")
            .Append($"Held-out cases: {r.ValidCases.Count}, genes disjoint from training; one greedy answer each through <code>/v1/chat/completions</code>.</p>")
            .Append("<table><tr><th></th><th>Top-1</th><th>Top-5</th><th>Top-Max</th><th>answers that reason first</th></tr>")
            .Append($"<tr><td>base model</td><td>{r.Before.Top1:P1}</td><td>{r.Before.Top5:P1}</td><td>{r.Before.TopMax:P1}</td><td>{r.Before.Reasoned:P1}</td></tr>")
            .Append($"<tr><td>after RFT</td><td>{r.After.Top1:P1}</td><td>{r.After.Top5:P1}</td><td>{r.After.TopMax:P1}</td><td>{r.After.Reasoned:P1}</td></tr></table>")
            .Append("<h2>Charts</h2>").Append(ChartsHtml())
            .Append("<h2>Sample answers (held-out cases)</h2>");
        foreach (var i in ExampleIndices(r))
        {
            var c = r.ValidCases[i];
            html.Append($"<h3>Case {i + 1}: answer {E(c.Answer.Symbol)}</h3><pre>{E(c.Prompt)}</pre>")
                .Append($"<p>before: <code>{E(r.Before.Answers[i])}</code> (rank {RankedAnswer.RankOf(r.Before.Answers[i], c.Answer.Symbol)})<br>")
                .Append($"after: <code>{E(r.After.Answers[i])}</code> (rank {RankedAnswer.RankOf(r.After.Answers[i], c.Answer.Symbol)})</p>");
        }
        return html.Append("</body></html>").ToString();
    }

    // Prefer cases the fine-tuned model fixed, then any, so the examples show what changed.
    private static IEnumerable<int> ExampleIndices(DemoResult r)
    {
        var all = Enumerable.Range(0, r.ValidCases.Count).ToList();
        int Rank(IReadOnlyList<string> answers, int i) => RankedAnswer.RankOf(answers[i], r.ValidCases[i].Answer.Symbol);
        var fixedFirst = all.Where(i => Rank(r.After.Answers, i) == 1 && Rank(r.Before.Answers, i) != 1);
        return fixedFirst.Concat(all).Distinct().Take(3);
    }
}
