using System.Text.Json.Nodes;
using RftFunctions.Demo.Genes;
using RftFunctions.Model;

namespace RftFunctions.Demo;

/// <summary>Top-k of a model on cases, and one answer per case to show in the report.</summary>
/// <param name="Top1">Fraction of cases whose answer ranks the right gene first.</param>
/// <param name="Top5">... within the first five.</param>
/// <param name="TopMax">... anywhere in the list.</param>
/// <param name="Reasoned">Fraction of answers that first rule out look-alikes by the absent symptoms
/// (<see cref="GeneCase.ReasoningLead"/>) rather than rank by keyword match.</param>
/// <param name="Answers">The answer to each case.</param>
public sealed record DemoScores(double Top1, double Top5, double TopMax, double Reasoned, IReadOnlyList<string> Answers);

/// <summary>
/// Measures a model on held-out cases the way the report states it: one greedy answer per case (deterministic, as a
/// user calling the model at temperature 0 gets) of at most <see cref="MaxAnswerTokens"/> tokens, scored by the rank
/// of the right gene as <see cref="RankedAnswer"/> reads it. The same definition in process (a loaded model, for the
/// bench) and through <c>/v1/chat/completions</c> (the demo).
/// </summary>
public static class DemoEvaluation
{
    /// <summary>The answer budget: a ranked list of a family's genes and a short explanation fit in it.</summary>
    public const int MaxAnswerTokens = 48;

    /// <summary>Scores <paramref name="model"/> on <paramref name="cases"/>.</summary>
    public static DemoScores Score(DecoderModel model, ITextTokenizer tokenizer, IReadOnlyList<GeneCase> cases)
    {
        model.eval();
        var requests = cases.Select(c => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c)),
            new SamplingParameters { MaxTokens = MaxAnswerTokens, Temperature = 0 })).ToList();
        var outputs = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
        return Score([.. outputs.Where(o => o.SampleIndex == 0).Select(o => o.Text)], cases);
    }

    /// <summary>Scores one answer per case (in case order).</summary>
    public static DemoScores Score(IReadOnlyList<string> answers, IReadOnlyList<GeneCase> cases)
    {
        if (answers.Count != cases.Count) throw new ArgumentException($"{answers.Count} answers for {cases.Count} cases", nameof(answers));
        var ranks = answers.Select((a, i) => RankedAnswer.RankOf(a, cases[i].Answer.Symbol)).ToList();
        double Fraction(Func<int, bool> hit) => ranks.Count == 0 ? 0 : ranks.Count(hit) / (double)ranks.Count;
        double reasoned = answers.Count == 0 ? 0 : answers.Count(a => a.TrimStart().StartsWith(GeneCase.ReasoningLead, StringComparison.Ordinal)) / (double)answers.Count;
        return new DemoScores(Fraction(r => r == 1), Fraction(r => r is >= 1 and <= 5), Fraction(r => r >= 1), reasoned, answers);
    }

    /// <summary>Scores the model <paramref name="model"/> served by the platform, asking <c>/v1/chat/completions</c>
    /// once per case with the case's user message at temperature 0 (greedy).</summary>
    public static async Task<DemoScores> ScoreAsync(DemoPlatform platform, string model, IReadOnlyList<GeneCase> cases, CancellationToken ct)
    {
        var answers = new string[cases.Count];
        // The host generates one request at a time per model; a few in flight keep it busy between requests.
        await Parallel.ForEachAsync(Enumerable.Range(0, cases.Count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (i, token) =>
        {
            var request = new JsonObject
            {
                ["model"] = model,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = cases[i].Prompt }),
                ["temperature"] = 0,
                ["max_tokens"] = MaxAnswerTokens,
            };
            var completion = await DemoUserSteps.PostAsync(platform, "v1/chat/completions", request, token);
            answers[i] = completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
        });
        return Score(answers, cases);
    }
}
