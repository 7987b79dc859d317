using RftFunctions.Demo.Genes;
using RftFunctions.Model;
using RftFunctions.Training.Datasets;
using static TorchSharp.torch;

namespace RftFunctions.Demo.Compliance;

/// <summary>
/// Builds the compliance demo's base model from nothing: a seeded tiny model learns every clause in both directions
/// ("export payroll: C17 says no" and "C17: export payroll says no"), then the answer format from warm-up requests
/// about every clause. A few warm-up answers look the clause up first (explanation, then its verdict); most give the
/// action's usual verdict first and cite some clause of that action. The result knows every clause, held-out ones
/// included, and can look any of them up, but at temperature 0 mostly answers by the action alone: the gap RFT is
/// meant to close. (Like a pretrained model that has read the policy, it has seen requests about every clause; the
/// RFT job's training and held-out requests are disjoint.)
/// </summary>
public static class ComplianceBaseModelBuilder
{
    // The answer format's and the prompt's own words, so the whole exchange is short.
    private static readonly string[] FormatWords = ["request", "compliant", "explanation", "says", "yes", "no", "needs", "review", "user", "assistant"];

    /// <summary>The words that are single tokens: the format's, then every action, kind of data, noise word and clause id.</summary>
    public static IReadOnlyList<string> Words(PolicyBook book) =>
        [.. FormatWords.Concat(book.Actions).Concat(book.DataKinds).Concat(PolicyBook.NoiseWords).Concat(book.Clauses.Select(c => c.Id))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>The tokenizer the base model is trained with (and whose files go into its folder).</summary>
    public static ITextTokenizer Tokenizer(PolicyBook book) => DemoTokenizer.Create(Words(book));

    /// <summary>Writes the tokenizer files into a model folder.</summary>
    public static void WriteTokenizerFiles(string directory, PolicyBook book) => DemoTokenizer.WriteTokenizerFiles(directory, Words(book));

    /// <summary>Trains and returns the base model; <paramref name="progress"/> gets (step, total, loss).</summary>
    public static DecoderModel Build(PolicyBook book, DemoBaseModelOptions options, long seed, Action<int, int, double>? progress = null)
    {
        var tokenizer = Tokenizer(book);
        var size = options.Size with { VocabSize = Math.Max(options.Size.VocabSize, DemoTokenizer.VocabSize(Words(book))) };
        var model = DecoderModel.Create(TinyModelFactory.Config(ModelArchitecture.Qwen2, size), seed);
        var random = SeededRandom.For(seed, 0xC011);
        using var optimizer = optim.AdamW(model.parameters(), options.LearningRate, 0.9, 0.98, 1e-8, 0.01);
        int total = options.PretrainSteps + options.WarmupSteps;
        model.train();
        for (int step = 0; step < total; step++)
        {
            double itemFraction = step < options.PretrainSteps ? 0 : options.WarmupCaseFraction;
            var batch = new List<(int[] Ids, int LossFrom)>(options.BatchSize);
            for (int i = 0; i < options.BatchSize; i++)
                batch.Add(random.NextDouble() < itemFraction ? WarmupSequence(tokenizer, book, random, options.WarmupReasonedFraction) : FactSequence(tokenizer, book, random));
            double loss = DemoBaseModelBuilder.TrainStep(model, optimizer, batch);
            progress?.Invoke(step + 1, total, loss);
        }
        model.eval();
        return model;
    }

    private static (int[], int) FactSequence(ITextTokenizer tokenizer, PolicyBook book, SeededRandom random)
    {
        var clause = book.Clauses[random.NextInt(book.Clauses.Count)];
        var text = random.NextInt(2) == 0 ? clause.Statement : $"{clause.Id}: {clause.Action} {clause.Data} says {clause.Verdict}";
        return ([.. tokenizer.Encode(text), ByteTokenizer.EndOfText], 0);
    }

    private static (int[], int) WarmupSequence(ITextTokenizer tokenizer, PolicyBook book, SeededRandom random, double reasonedFraction)
    {
        var item = new ComplianceItem(book.Clauses[random.NextInt(book.Clauses.Count)], PolicyBook.NoiseWords[random.NextInt(PolicyBook.NoiseWords.Count)]);
        var answer = random.NextDouble() < reasonedFraction ? item.ReasonedAnswer() : item.KeywordAnswer(book, random);
        var prompt = tokenizer.Encode(DemoBaseModelBuilder.RenderPrompt(item.Prompt));
        return ([.. prompt, .. tokenizer.Encode(answer), ByteTokenizer.ImEnd], prompt.Count);
    }
}
