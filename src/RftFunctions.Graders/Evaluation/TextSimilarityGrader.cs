using RftFunctions.Graders.Config;
using RftFunctions.Graders.Metrics;
using RftFunctions.Graders.Templates;

namespace RftFunctions.Graders.Evaluation;

/// <summary>text_similarity: the configured metric between the rendered input (hypothesis) and reference.</summary>
internal sealed class TextSimilarityGrader(TextSimilarityGraderConfig config) : CompiledGrader(config)
{
    private readonly Template _input = Template.Parse(config.Input);
    private readonly Template _reference = Template.Parse(config.Reference);

    protected override double? PassThreshold => config.PassThreshold;

    protected override async Task GradeCoreAsync(GradingContext context, GraderServices services, GraderResult result, CancellationToken ct)
    {
        if (!_input.TryRender(context.Sample, context.Item, out var input, out var missing))
        {
            MissingVariable(result, missing, "input");
            return;
        }
        if (!_reference.TryRender(context.Sample, context.Item, out var reference, out missing))
        {
            MissingVariable(result, missing, "reference");
            return;
        }
        if (config.EvaluationMetric == "cosine")
        {
            if (services.Embeddings is not { } embeddings)
            {
                result.Errors.OtherError = true;
                result.Errors.AddDetail("the cosine metric needs an embedding provider and none is configured");
                return;
            }
            var vectors = await embeddings.EmbedAsync([input, reference], ct).ConfigureAwait(false);
            result.Reward = Cosine.Similarity(vectors[0], vectors[1]);
            return;
        }
        result.Reward = Score(config.EvaluationMetric, input, reference);
    }

    /// <summary>Every metric except cosine.</summary>
    internal static double Score(string metric, string input, string reference) => metric switch
    {
        "fuzzy_match" => FuzzyMatch.Ratio(input, reference),
        "bleu" => Bleu.Sentence(input, reference),
        "gleu" => Gleu.Sentence(input, reference),
        "meteor" => Meteor.Sentence(input, reference),
        "rouge_l" => Rouge.L(input, reference),
        ['r', 'o', 'u', 'g', 'e', '_', var d] when d is >= '1' and <= '5' => Rouge.N(input, reference, d - '0'),
        _ => throw new InvalidOperationException($"unknown evaluation_metric '{metric}'"),
    };
}
