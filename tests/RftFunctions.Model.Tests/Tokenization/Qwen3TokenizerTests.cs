using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>Facts about the real Qwen3 tokenizer files that the loader must read correctly.</summary>
[Collection(Qwen3TokenizerCollection.Name)]
public sealed class Qwen3TokenizerTests(Qwen3TokenizerFixture qwen)
{
    [Fact]
    public void Special_token_ids_come_from_tokenizer_config()
    {
        Assert.Null(qwen.Tokenizer.BosTokenId);
        Assert.Equal(151645, qwen.Tokenizer.EosTokenId); // <|im_end|>
        Assert.Equal(151643, qwen.Tokenizer.PadTokenId); // <|endoftext|>
        Assert.Equal(151669, qwen.Tokenizer.VocabularySize); // 151,643 BPE tokens + 26 added tokens.
        Assert.Equal(26, qwen.Tokenizer.AddedTokens.Count);
    }

    [Fact]
    public void Known_texts_encode_to_known_ids()
    {
        Assert.Equal([9707, 1879], qwen.Tokenizer.Encode("Hello world"));
        Assert.Equal([151644, 872, 198], qwen.Tokenizer.Encode("<|im_start|>user\n"));
        // Qwen splits digits one by one.
        Assert.Equal([16, 17, 18], qwen.Tokenizer.Encode("123"));
    }

    [Fact]
    public void Non_special_added_tokens_survive_skip_special_decoding()
    {
        var ids = qwen.Tokenizer.Encode("<|im_start|>assistant\n<think>\nx\n</think>\n\nok<|im_end|>");
        Assert.Contains(151667, ids); // <think> is an added token but not special.
        Assert.Equal("assistant\n<think>\nx\n</think>\n\nok", qwen.Tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void A_byte_order_mark_is_not_whitespace_to_the_split_regex()
    {
        // Hugging Face's Rust tokenizers match the split regex with Oniguruma, whose \s is Unicode White_Space
        // (U+FEFF is not in it), as in .NET. JavaScript's \s does include U+FEFF, so the reference package splits
        // " \uFEFF!" as " " + "\uFEFF" + "!" and returns [64, 220, 3225, 0] here: the one known divergence, and the
        // reason the parity corpus leaves U+FEFF out (see Tokenization/README.md).
        Assert.Equal([64, 75780, 0], qwen.Tokenizer.Encode("a \uFEFF!")); // "a", " \uFEFF" (one vocabulary entry), "!".
    }
}
