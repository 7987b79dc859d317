using RftFunctions.Model;
using RftFunctions.Training.Demo;

namespace RftFunctions.Functions.Demo;

/// <summary>Top-k of a model on cases, and one answer per case to show in the report.</summary>
/// <param name="Top1">Fraction of cases whose answer ranks the right gene first.</param>
/// <param name="Top5">... within the first five.</param>
/// <param name="TopMax">... anywhere in the list.</param>
/// <param name="Answers">The answer to each case.</param>
public sealed record DemoScores(double Top1, double Top5, double TopMax, IReadOnlyList<string> Answers);

/// <summary>
/// Measures a model on held-out cases the way the report states it: one greedy answer per case (deterministic, as a
/// user calling the model at temperature 0 gets), scored by the rank of the right gene.
/// </summary>
public static class DemoEvaluation
{
    /// <summary>Scores <paramref name="model"/> on <paramref name="cases"/>.</summary>
    public static DemoScores Score(DecoderModel model, IReadOnlyList<GeneCase> cases)
    {
        var tokenizer = new ByteTokenizer();
        model.eval();
        var requests = cases.Select(c => new GenerationRequest(tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(c)),
            new SamplingParameters { MaxTokens = 48, Temperature = 0 })).ToList();
        var outputs = new TextGenerator(model, tokenizer).Generate(requests).OrderBy(s => s.RequestIndex).ThenBy(s => s.SampleIndex).ToList();
        var ranks = outputs.Select(o => RankedAnswer.RankOf(o.Text, cases[o.RequestIndex].Answer.Symbol)).ToList();
        double Fraction(Func<int, bool> hit) => ranks.Count(hit) / (double)ranks.Count;
        return new DemoScores(Fraction(r => r == 1), Fraction(r => r is >= 1 and <= 5), Fraction(r => r >= 1),
            [.. outputs.Where(o => o.SampleIndex == 0).Select(o => o.Text)]);
    }
}
