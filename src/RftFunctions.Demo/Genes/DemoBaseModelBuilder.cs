using RftFunctions.Model;
using RftFunctions.Model.Tokenization.Chat;
using RftFunctions.Training.Datasets;
using TorchSharp;
using static TorchSharp.torch;
using ChatMessage = RftFunctions.Model.Tokenization.Chat.ChatMessage;
using F = TorchSharp.torch.nn.functional;

namespace RftFunctions.Demo.Genes;

/// <summary>
/// Builds the demo's base model from nothing: a seeded tiny model learns the ontology's facts in both directions
/// (what every gene causes, which genes cause every phenotype), then the answer format from warm-up cases. A few
/// warm-up answers reason (the absent symptoms rule out look-alikes, the gene left goes first); most are keyword
/// matches that read an absent symptom as evidence for the look-alike it defines. The result knows every gene,
/// validation genes included, and can reason about any of them, but at temperature 0 answers by keyword match and
/// mostly ranks a look-alike first: the gap RFT is meant to close, by making the reasoning its habit.
/// </summary>
public static class DemoBaseModelBuilder
{
    /// <summary>Trains and returns the base model; <paramref name="progress"/> gets (step, total, loss).</summary>
    public static DecoderModel Build(GeneCaseGenerator cases, DemoBaseModelOptions options, long seed, Action<int, int, double>? progress = null)
    {
        var ontology = cases.Ontology;
        var tokenizer = Tokenizer(ontology, options);
        var size = options.WordTokens ? options.Size with { VocabSize = Math.Max(options.Size.VocabSize, DemoTokenizer.VocabSize(ontology)) } : options.Size;
        var model = DecoderModel.Create(TinyModelFactory.Config(ModelArchitecture.Qwen2, size), seed);
        var random = SeededRandom.For(seed, 0x7072);
        using var optimizer = optim.AdamW(model.parameters(), options.LearningRate, 0.9, 0.98, 1e-8, 0.01);
        int total = options.PretrainSteps + options.WarmupSteps;
        model.train();
        for (int step = 0; step < total; step++)
        {
            double caseFraction = step < options.PretrainSteps ? 0 : options.WarmupCaseFraction;
            var batch = new List<(int[] Ids, int LossFrom)>(options.BatchSize);
            for (int i = 0; i < options.BatchSize; i++)
                batch.Add(random.NextDouble() < caseFraction ? WarmupSequence(tokenizer, cases, random, options.WarmupReasonedFraction) : FactSequence(tokenizer, ontology, random));
            double loss = TrainStep(model, optimizer, batch);
            progress?.Invoke(step + 1, total, loss);
        }
        model.eval();
        return model;
    }

    /// <summary>The tokenizer the base model is trained with (and whose files go into its folder).</summary>
    public static ITextTokenizer Tokenizer(GeneOntology ontology, DemoBaseModelOptions options) =>
        options.WordTokens ? DemoTokenizer.Create(ontology) : new ByteTokenizer();

    /// <summary>Writes the tokenizer files of <see cref="Tokenizer"/> into a model folder.</summary>
    public static void WriteTokenizerFiles(string directory, GeneOntology ontology, DemoBaseModelOptions options)
    {
        if (options.WordTokens) DemoTokenizer.WriteTokenizerFiles(directory, ontology);
        else ByteTokenizer.WriteTokenizerFiles(directory);
    }

    /// <summary>The chat prompt of a case as the job renders it (rft-tiny format, generation prompt added).</summary>
    public static string RenderPrompt(GeneCase gene) => RenderPrompt(gene.Prompt);

    /// <summary>A user message as the job renders it (rft-tiny format, generation prompt added).</summary>
    public static string RenderPrompt(string userMessage) => new RftTinyChatFormat().Render([new ChatMessage("user", userMessage)]);

    private static (int[], int) FactSequence(ITextTokenizer tokenizer, GeneOntology ontology, SeededRandom random)
    {
        string text;
        if (random.NextInt(2) == 0)
        {
            var gene = ontology.Genes[random.NextInt(ontology.Genes.Count)];
            text = $"{gene.Symbol}: {string.Join(' ', Shuffle(gene.Phenotypes, random))}";
        }
        else
        {
            var phenotypes = ontology.ByPhenotype.Keys.Order(StringComparer.Ordinal).ToList();
            var phenotype = phenotypes[random.NextInt(phenotypes.Count)];
            text = $"{phenotype}: {string.Join(' ', Shuffle(ontology.ByPhenotype[phenotype].Select(g => g.Symbol).ToList(), random))}";
        }
        var ids = tokenizer.Encode(text).Append(ByteTokenizer.EndOfText).ToArray();
        return (ids, 0);
    }

    private static (int[], int) WarmupSequence(ITextTokenizer tokenizer, GeneCaseGenerator cases, SeededRandom random, double reasonedFraction)
    {
        var ontology = cases.Ontology;
        var gene = cases.Draw(ontology.Genes[random.NextInt(ontology.Genes.Count)], random);
        string text;
        if (random.NextDouble() < reasonedFraction) text = gene.ReasonedAnswer(ontology);
        else
        {
            // The keyword match cites what it matched, absent symptoms included: the mistake shows in the explanation.
            var ranking = GeneCaseGenerator.KeywordRanking(gene, ontology, random);
            text = GeneCase.FormatAnswer(ranking, ontology.BySymbol[ranking[0]], gene.Present.Concat(gene.Absent));
        }
        var prompt = tokenizer.Encode(RenderPrompt(gene));
        var answer = tokenizer.Encode(text);
        return ([.. prompt, .. answer, ByteTokenizer.ImEnd], prompt.Count);
    }

    /// <summary>One supervised step on token sequences, each learned from its <c>LossFrom</c> position on; the loss.</summary>
    internal static double TrainStep(DecoderModel model, optim.Optimizer optimizer, List<(int[] Ids, int LossFrom)> batch)
    {
        using var scope = NewDisposeScope();
        int length = batch.Max(b => b.Ids.Length);
        var ids = new long[batch.Count * length];
        var mask = new float[batch.Count * length];
        for (int r = 0; r < batch.Count; r++)
        {
            var (seq, from) = batch[r];
            for (int t = 0; t < length; t++)
            {
                ids[(r * length) + t] = t < seq.Length ? seq[t] : ByteTokenizer.EndOfText;
                // Position t predicts token t+1; count it when that token is real and in the learned part.
                mask[(r * length) + t] = t + 1 < seq.Length && t + 1 >= Math.Max(from, 1) ? 1 : 0;
            }
        }
        var input = tensor(ids, [batch.Count, length], device: model.Device);
        var lossMask = tensor(mask, [batch.Count, length], device: model.Device)[.., ..^1];
        var logits = model.Logits(model.Forward(input))[.., ..^1, ..];
        var targets = input[.., 1..];
        var perToken = F.cross_entropy(logits.reshape(-1, logits.shape[2]), targets.reshape(-1), reduction: nn.Reduction.None).view(batch.Count, length - 1);
        var loss = (perToken * lossMask).sum() / lossMask.sum().clamp_min(1);
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        optimizer.step();
        return loss.ToDouble();
    }

    private static List<string> Shuffle(IReadOnlyList<string> items, SeededRandom random)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
