using RftFunctions.Model;

namespace RftFunctions.Demo.Genes;

/// <summary>How the demo's base model is built: its size and the two supervised phases.</summary>
/// <param name="Size">The tiny model's dimensions.</param>
/// <param name="PretrainSteps">Steps on fact sentences only (gene → phenotypes and phenotype → genes).</param>
/// <param name="WarmupSteps">Steps mixing facts with warm-up cases (the answer format, imperfectly ranked).</param>
/// <param name="BatchSize">Sequences per step.</param>
/// <param name="LearningRate">AdamW learning rate (constant; the phases are short).</param>
/// <param name="WarmupCaseFraction">Share of warm-up sequences that are cases rather than facts.</param>
/// <param name="WarmupReasonedFraction">Share of warm-up answers that reason (rule out the look-alikes named by the
/// absent symptoms, then rank the gene left first); the others are keyword matches that count an absent symptom as
/// evidence for the gene it defines, and so mostly put a look-alike first.</param>
/// <param name="WordTokens">Use <see cref="DemoTokenizer"/> (every gene and phenotype one token) instead of bytes.</param>
public sealed record DemoBaseModelOptions(
    TinyModelSize Size,
    int PretrainSteps = 600,
    int WarmupSteps = 300,
    int BatchSize = 32,
    double LearningRate = 3e-3,
    double WarmupCaseFraction = 0.5,
    double WarmupReasonedFraction = 0.1,
    bool WordTokens = false)
{
    /// <summary>The default model: ~0.6M parameters, a byte tokenizer, four layers.</summary>
    public static DemoBaseModelOptions Default { get; } = new(new TinyModelSize(
        HiddenSize: 128, IntermediateSize: 256, Layers: 4, Heads: 4, KeyValueHeads: 2, HeadDim: 32, VocabSize: 264,
        MaxPositionEmbeddings: 256));
}
