using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Model;
using RftFunctions.Model.Tokenization;

namespace RftFunctions.Demo.Genes;

/// <summary>
/// The demo's tokenizer: byte-level BPE (any text still encodes, byte by byte) whose vocabulary also holds every gene
/// symbol and phenotype of the ontology as one token, with and without a leading space. A tiny model then reads a
/// case as a handful of symbols instead of spelling multi-byte names, so one attention layer can relate an absent
/// phenotype to the gene it defines. It is written as an ordinary tokenizer.json (a Split pre-tokenizer into words,
/// <c>ignore_merges</c> so a word in the vocabulary is one token), which the job reads like any model's.
/// </summary>
public static class DemoTokenizer
{
    /// <summary>Words (letters and digits, with the space before them) and single other characters.</summary>
    public const string SplitPattern = " ?[A-Za-z0-9]+|[^A-Za-z0-9]";

    // The answer format's and the prompt's own words, so the whole exchange is short.
    private static readonly string[] FormatWords = ["present", "absent", "has", "rules", "out", "user", "assistant"];

    /// <summary>Tokens in the vocabulary of <paramref name="ontology"/> (bytes, special tokens, then words).</summary>
    public static int VocabSize(GeneOntology ontology) => VocabSize(Words(ontology));

    /// <summary>Tokens in a vocabulary of <paramref name="words"/> (bytes, special tokens, then each word with and
    /// without a leading space).</summary>
    public static int VocabSize(IReadOnlyCollection<string> words) => ByteTokenizer.VocabSize + (2 * words.Count);

    /// <summary>The words that are single tokens, in id order.</summary>
    public static IReadOnlyList<string> Words(GeneOntology ontology) =>
        [.. FormatWords.Concat(ontology.Genes.Select(g => g.Symbol)).Concat(ontology.Phenotypes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>Writes tokenizer.json and tokenizer_config.json for <paramref name="ontology"/> into <paramref name="directory"/>.</summary>
    public static void WriteTokenizerFiles(string directory, GeneOntology ontology) => WriteTokenizerFiles(directory, Words(ontology));

    /// <summary>Writes tokenizer.json and tokenizer_config.json whose vocabulary holds every one of
    /// <paramref name="words"/> (distinct, in id order) as one token.</summary>
    public static void WriteTokenizerFiles(string directory, IReadOnlyList<string> words)
    {
        // Start from the byte tokenizer's files (bytes 0..255, the special tokens 256..258, the chat template) and add words.
        ByteTokenizer.WriteTokenizerFiles(directory);
        var path = Path.Combine(directory, HuggingFaceTokenizer.TokenizerFileName);
        var tokenizer = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var model = tokenizer["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject();
        int id = ByteTokenizer.VocabSize;
        foreach (var word in words)
        {
            vocab[ByteLevelAlphabet.Encode(word)] = id++;
            vocab[ByteLevelAlphabet.Encode(" " + word)] = id++;
        }
        model["ignore_merges"] = true;
        tokenizer["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = SplitPattern }, ["behavior"] = "Isolated", ["invert"] = false },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
        };
        File.WriteAllText(path, tokenizer.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The tokenizer of <paramref name="ontology"/>, as the job will load it from the model folder.</summary>
    public static HuggingFaceTokenizer Create(GeneOntology ontology) => Create(Words(ontology));

    /// <summary>The tokenizer of <paramref name="words"/>, as the job will load it from the model folder.</summary>
    public static HuggingFaceTokenizer Create(IReadOnlyList<string> words)
    {
        var directory = Directory.CreateTempSubdirectory("rft-demo-tokenizer-");
        try
        {
            WriteTokenizerFiles(directory.FullName, words);
            return HuggingFaceTokenizer.Load(directory.FullName);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
