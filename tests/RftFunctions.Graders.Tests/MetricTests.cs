using RftFunctions.Graders.Metrics;

namespace RftFunctions.Graders.Tests;

/// <summary>
/// Metric values against numbers known independently of this code: published examples of the reference packages and
/// hand computations written out in the comments.
/// </summary>
public class MetricTests
{
    [Fact]
    public void Fuzzy_match_equals_rapidfuzz_ratio_of_the_readme_example()
    {
        // RapidFuzz / FuzzyWuzzy README: fuzz.ratio("this is a test", "this is a test!") == 96.55172413793103.
        Assert.Equal(0.9655172413793103, FuzzyMatch.Ratio("this is a test", "this is a test!"), 12);
        Assert.Equal(1.0, FuzzyMatch.Ratio("", ""));
        Assert.Equal(0.0, FuzzyMatch.Ratio("abc", "xyz"));
        // LCS("kitten", "sitting") = "ittn" = 4 -> 2*4/13.
        Assert.Equal(8.0 / 13, FuzzyMatch.Ratio("kitten", "sitting"), 12);
    }

    [Fact]
    public void Corpus_bleu_matches_the_sacrebleu_readme_example()
    {
        // sacreBLEU README: corpus_bleu(sys, [refs1, refs2]).score == 48.530827009929865.
        string[] sys = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];
        string[] refs1 = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."];
        string[] refs2 = ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."];
        Assert.Equal(0.48530827009929865, Bleu.Corpus(sys, [refs1, refs2]), 10);
    }

    [Fact]
    public void Sentence_bleu_uses_exp_smoothing()
    {
        // hyp "the cat sat on the mat", ref "the cat is on the mat": matches 5/6, 3/5, 1/4, 0/3 -> exp smoothing
        // 1/(2*3); equal lengths so BP = 1; BLEU = (5/6 * 3/5 * 1/4 * 1/6)^(1/4).
        var expected = Math.Pow(5.0 / 6 * 3 / 5 * 1 / 4 * 1 / 6, 0.25);
        Assert.Equal(expected, Bleu.Sentence("the cat sat on the mat", "the cat is on the mat"), 12);
        Assert.Equal(1.0, Bleu.Sentence("The same sentence, exactly.", "The same sentence, exactly."), 12);
        Assert.Equal(0.0, Bleu.Sentence("nothing shared", "totally different words"));
    }

    [Fact]
    public void Sentence_bleu_uses_effective_order_and_brevity_penalty()
    {
        // hyp "the cat" (2 tokens), ref "the cat sat" (3): orders 3-4 have no hypothesis n-grams and are dropped;
        // precisions 2/2 and 1/1; BP = exp(1 - 3/2).
        Assert.Equal(Math.Exp(1 - 1.5), Bleu.Sentence("the cat", "the cat sat"), 12);
    }

    [Fact]
    public void Gleu_is_min_of_ngram_precision_and_recall()
    {
        // hyp "the cat sat" / ref "the cat ran": n-grams hyp 3+2+1 = 6, ref 6; matches the, cat, "the cat" = 3.
        Assert.Equal(0.5, Gleu.Sentence("the cat sat", "the cat ran"), 12);
        // hyp "a b" / ref "a b c d": hyp n-grams 2+1 = 3, ref 4+3+2+1 = 10, matches 3 -> min(1, 0.3).
        Assert.Equal(0.3, Gleu.Sentence("a b", "a b c d"), 12);
    }

    [Fact]
    public void Meteor_exact_stage_follows_the_nltk_formula()
    {
        // Identical 4-word sentences: P = R = 1, Fmean = 1, one chunk -> penalty 0.5 * (1/4)^3.
        Assert.Equal(1 - 0.5 * Math.Pow(0.25, 3), Meteor.Sentence("the cat sat down", "The cat sat down"), 12);
        // hyp "sat the cat" / ref "the cat sat": m = 3, chunks = 2 ("sat" | "the cat"); P = R = 1.
        Assert.Equal(1 - 0.5 * Math.Pow(2.0 / 3, 3), Meteor.Sentence("sat the cat", "the cat sat"), 12);
        // hyp "a b x" / ref "a b c d": m = 2, P = 2/3, R = 1/2, Fmean = PR/(0.9P + 0.1R), one chunk.
        double p = 2.0 / 3, r = 0.5;
        var fmean = p * r / (0.9 * p + 0.1 * r);
        Assert.Equal((1 - 0.5 * Math.Pow(0.5, 3)) * fmean, Meteor.Sentence("a b x", "a b c d"), 12);
        Assert.Equal(0.0, Meteor.Sentence("x y", "a b"));
    }

    [Fact]
    public void Rouge_matches_hand_computation_of_the_rouge_score_readme_example()
    {
        // rouge-score README: target "The quick brown fox jumps over the lazy dog", prediction
        // "The quick brown dog jumps on the log." Unigram overlap the x2, quick, brown, dog, jumps = 6 of 8 / 9 tokens.
        const string target = "The quick brown fox jumps over the lazy dog";
        const string prediction = "The quick brown dog jumps on the log.";
        double p1 = 6.0 / 8, r1 = 6.0 / 9;
        Assert.Equal(2 * p1 * r1 / (p1 + r1), Rouge.N(prediction, target, 1), 12);
        // Bigrams: "the quick", "quick brown" shared: 2 of 7 / 8.
        double p2 = 2.0 / 7, r2 = 2.0 / 8;
        Assert.Equal(2 * p2 * r2 / (p2 + r2), Rouge.N(prediction, target, 2), 12);
        // LCS = the quick brown jumps the = 5.
        double pl = 5.0 / 8, rl = 5.0 / 9;
        Assert.Equal(2 * pl * rl / (pl + rl), Rouge.L(prediction, target), 12);
        Assert.Equal(0.0, Rouge.N("a b", "c d", 5));
        Assert.Equal(0.0, Rouge.L("", "anything"));
    }

    [Fact]
    public void Cosine_is_clipped_to_the_unit_interval()
    {
        Assert.Equal(1.0, Cosine.Similarity([1, 2, 3], [2, 4, 6]), 6);
        Assert.Equal(0.0, Cosine.Similarity([1, 0], [0, 1]), 12);
        Assert.Equal(0.0, Cosine.Similarity([1, 0], [-1, 0]), 12);
        Assert.Equal(Math.Sqrt(0.5), Cosine.Similarity([1, 1], [1, 0]), 6);
    }
}
