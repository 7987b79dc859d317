using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Training.Demo;

namespace RftFunctions.Functions.Demo;

/// <summary>Writes the report folder: report.json, the reward curves as PNG, and report.html with example cases.</summary>
public static class DemoReport
{
    /// <summary>Writes the report for <paramref name="result"/> into <paramref name="directory"/>.</summary>
    public static void Write(string directory, DemoResult result, DemoOptions options)
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
            ["train_reward"] = new JsonArray([.. result.TrainRewards.Select(p => (JsonNode)new JsonObject { ["step"] = p.Step, ["reward"] = p.Reward })]),
            ["valid_reward"] = new JsonArray([.. result.ValidRewards.Select(p => (JsonNode)new JsonObject { ["step"] = p.Step, ["reward"] = p.Reward })]),
            ["timings_seconds"] = new JsonObject([.. result.Timings.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]),
        };
        File.WriteAllText(Path.Combine(directory, "report.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllBytes(Path.Combine(directory, "train_reward.png"),
            PngLinePlot.Render([new PlotSeries([.. result.TrainRewards.Select(p => ((double)p.Step, p.Reward))], 0x1F77B4)]));
        File.WriteAllBytes(Path.Combine(directory, "valid_reward.png"),
            PngLinePlot.Render([new PlotSeries([.. result.ValidRewards.Select(p => ((double)p.Step, p.Reward))], 0xD62728)]));
        File.WriteAllText(Path.Combine(directory, "report.html"), Html(result));
    }

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
            .Append("<h2>Rewards</h2><p>Training reward per step (blue) and validation reward (red), both 0..1:</p>")
            .Append("<img src=\"train_reward.png\" alt=\"training reward per step\"> <img src=\"valid_reward.png\" alt=\"validation reward\">")
            .Append("<h2>Examples</h2>");
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
