using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Demo.Compliance;

/// <summary>Writes the compliance demo's report folder: report.json, the charts and report.html with sample answers.</summary>
public static class ComplianceReport
{
    /// <summary>The task's name in chart titles.</summary>
    public const string Task = "Compliance";

    /// <summary>Writes the report for <paramref name="result"/>; returns the charts' paths.</summary>
    public static IReadOnlyList<string> Write(string directory, ComplianceResult result, ComplianceOptions options)
    {
        Directory.CreateDirectory(directory);
        var report = new JsonObject
        {
            ["job_id"] = result.JobId,
            ["base_model"] = result.BaseModel,
            ["fine_tuned_model"] = result.FineTunedModel,
            ["verdict_accuracy_before"] = result.Before.VerdictAccuracy,
            ["verdict_accuracy_after"] = result.After.VerdictAccuracy,
            ["explanation_score_before"] = result.Before.ExplanationScore,
            ["explanation_score_after"] = result.After.ExplanationScore,
            ["valid_json_before"] = result.Before.ValidJson,
            ["valid_json_after"] = result.After.ValidJson,
            ["reasons_first_before"] = result.Before.ReasonsFirst,
            ["reasons_first_after"] = result.After.ReasonsFirst,
            ["evaluation"] = $"{result.HeldOut.Count} held-out requests (about clauses no training request is about), one greedy answer each through /v1/chat/completions (temperature 0, at most {ComplianceEvaluation.MaxAnswerTokens} tokens); an answer that is not the schema's JSON scores 0",
            ["train_items"] = result.TrainItems,
            ["steps"] = result.Steps,
            ["seed"] = options.Seed,
            ["base_model_built"] = result.BaseModelBuilt,
            ["train_reward"] = DemoReport.Curve(result.Curves.TrainReward, "reward"),
            ["valid_reward"] = DemoReport.Curve(result.Curves.ValidReward, "reward"),
            ["grader_train_reward"] = new JsonObject([.. result.Curves.GraderTrainReward.Select(g => KeyValuePair.Create(g.Key, (JsonNode?)DemoReport.Curve(g.Value, "reward")))]),
            ["completion_length_mean"] = DemoReport.Curve(result.Curves.CompletionLengthMean, "tokens"),
            ["timings_seconds"] = new JsonObject([.. result.Timings.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value))]),
        };
        File.WriteAllText(Path.Combine(directory, "report.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var plots = DemoPlots.WriteAll(directory, Task, result.Curves,
        [
            new("verdict accuracy", result.Before.VerdictAccuracy, result.After.VerdictAccuracy),
            new("explanation cites the clause", result.Before.ExplanationScore, result.After.ExplanationScore),
            new("valid JSON", result.Before.ValidJson, result.After.ValidJson),
        ]);
        File.WriteAllText(Path.Combine(directory, "report.html"), Html(result));
        return plots;
    }

    private static string Html(ComplianceResult r)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var html = new StringBuilder();
        html.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>RFT compliance demo</title>")
            .Append("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}td,th{border:1px solid #ccc;padding:.3em .6em}table{border-collapse:collapse}pre{white-space:pre-wrap}</style></head><body>")
            .Append($"<h1>Compliance RFT demo</h1><p>Job <code>{E(r.JobId)}</code> ({r.Steps} steps, response_format json_schema, multi grader): <code>{E(r.BaseModel)}</code> &rarr; <code>{E(r.FineTunedModel)}</code>. ")
            .Append($"Held-out requests: {r.HeldOut.Count}, about clauses no training request is about; one greedy answer each through <code>/v1/chat/completions</code>. The policy is in <code>policy.txt</code>.</p>")
            .Append("<table><tr><th></th><th>verdict accuracy</th><th>explanation cites the right clause</th><th>valid JSON</th><th>explanation first</th></tr>")
            .Append($"<tr><td>base model</td><td>{r.Before.VerdictAccuracy:P1}</td><td>{r.Before.ExplanationScore:P1}</td><td>{r.Before.ValidJson:P1}</td><td>{r.Before.ReasonsFirst:P1}</td></tr>")
            .Append($"<tr><td>after RFT</td><td>{r.After.VerdictAccuracy:P1}</td><td>{r.After.ExplanationScore:P1}</td><td>{r.After.ValidJson:P1}</td><td>{r.After.ReasonsFirst:P1}</td></tr></table>")
            .Append("<h2>Charts</h2>").Append(DemoReport.ChartsHtml())
            .Append("<h2>Sample answers (held-out requests)</h2>");
        foreach (var i in ExampleIndices(r))
        {
            var item = r.HeldOut[i];
            html.Append($"<h3>Request {i + 1}: {E(item.Clause.Id)} says {E(item.Verdict)}</h3><pre>{E(item.Prompt)}</pre>")
                .Append($"<p>before: <code>{E(r.Before.Answers[i])}</code><br>")
                .Append($"after: <code>{E(r.After.Answers[i])}</code></p>");
        }
        return html.Append("</body></html>").ToString();
    }

    // Prefer requests the fine-tuned model fixed, then any, so the examples show what changed.
    private static IEnumerable<int> ExampleIndices(ComplianceResult r)
    {
        var all = Enumerable.Range(0, r.HeldOut.Count).ToList();
        bool Right(IReadOnlyList<string> answers, int i) => ComplianceEvaluation.Parse(answers[i]).Verdict == r.HeldOut[i].Verdict;
        return all.Where(i => Right(r.After.Answers, i) && !Right(r.Before.Answers, i)).Concat(all).Distinct().Take(3);
    }
}
