using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Demo.Genes;
using RftFunctions.Model;

namespace RftFunctions.Demo.Compliance;

/// <summary>Held-out scores of a model on compliance requests.</summary>
/// <param name="VerdictAccuracy">Share of answers whose <c>compliant</c> is the right verdict.</param>
/// <param name="ExplanationScore">Share of answers whose explanation cites the clause that covers the request (the
/// python grader's rule).</param>
/// <param name="ValidJson">Share of answers that are JSON objects of the response format's schema.</param>
/// <param name="ReasonsFirst">Share of answers that give the explanation before the verdict.</param>
/// <param name="Answers">The answer to each request.</param>
public sealed record ComplianceScores(double VerdictAccuracy, double ExplanationScore, double ValidJson, double ReasonsFirst, IReadOnlyList<string> Answers);

/// <summary>
/// Measures a model on held-out requests as the report states it: one greedy answer per request (temperature 0) of at
/// most <see cref="MaxAnswerTokens"/> tokens, parsed as JSON; an answer that does not parse scores 0 on both.
/// </summary>
public static class ComplianceEvaluation
{
    /// <summary>The answer budget: the JSON object with a one-clause explanation fits in it with room to spare.</summary>
    public const int MaxAnswerTokens = 40;

    /// <summary>The verdict and explanation of an answer, or nulls when it is not a JSON object of the schema.</summary>
    public static (string? Verdict, string? Explanation) Parse(string answer)
    {
        try
        {
            if (JsonNode.Parse(answer) is not JsonObject o || o.Count != 2) return (null, null);
            if (o["compliant"] is not JsonValue v || !v.TryGetValue<string>(out var verdict) || !PolicyBook.Verdicts.Contains(verdict)) return (null, null);
            if (o["explanation"] is not JsonValue e || !e.TryGetValue<string>(out var explanation)) return (null, null);
            return (verdict, explanation);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // Not JSON, a key given twice, a value of another type: not the schema's object.
            return (null, null);
        }
    }

    /// <summary>True when <paramref name="explanation"/> names <paramref name="clauseId"/> among its words (as the
    /// python grader decides).</summary>
    public static bool CitesClause(string? explanation, string clauseId) =>
        explanation is not null && explanation.Split([' ', ',', ':', '.'], StringSplitOptions.RemoveEmptyEntries).Contains(clauseId, StringComparer.Ordinal);

    /// <summary>Scores one answer per item (in item order).</summary>
    public static ComplianceScores Score(IReadOnlyList<string> answers, IReadOnlyList<ComplianceItem> items)
    {
        if (answers.Count != items.Count) throw new ArgumentException($"{answers.Count} answers for {items.Count} items", nameof(answers));
        int verdicts = 0, clauses = 0, valid = 0, first = 0;
        for (int i = 0; i < answers.Count; i++)
        {
            var (verdict, explanation) = Parse(answers[i]);
            if (verdict is not null) valid++;
            if (verdict == items[i].Verdict) verdicts++;
            if (verdict is not null && CitesClause(explanation, items[i].Clause.Id)) clauses++;
            if (answers[i].TrimStart().StartsWith(ComplianceItem.ReasoningLead, StringComparison.Ordinal)) first++;
        }
        double Share(int n) => answers.Count == 0 ? 0 : n / (double)answers.Count;
        return new ComplianceScores(Share(verdicts), Share(clauses), Share(valid), Share(first), answers);
    }

    /// <summary>Scores <paramref name="model"/> in process (the bench).</summary>
    public static ComplianceScores Score(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<ComplianceItem> items)
    {
        model.eval();
        var requests = items.Select(c => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c.Prompt)),
            new SamplingParameters { MaxTokens = MaxAnswerTokens, Temperature = 0 })).ToList();
        var outputs = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
        return Score([.. outputs.Where(o => o.SampleIndex == 0).Select(o => o.Text)], items);
    }

    /// <summary>Scores the model <paramref name="model"/> served by the platform: one <c>/v1/chat/completions</c>
    /// call per request, temperature 0.</summary>
    public static async Task<ComplianceScores> ScoreAsync(DemoPlatform platform, string model, IReadOnlyList<ComplianceItem> items, CancellationToken ct)
    {
        var answers = new string[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var request = new JsonObject
            {
                ["model"] = model,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = items[i].Prompt }),
                ["temperature"] = 0,
                ["max_tokens"] = MaxAnswerTokens,
            };
            var completion = await DemoUserSteps.PostAsync(platform, "v1/chat/completions", request, token);
            answers[i] = completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
        });
        return Score(answers, items);
    }
}
