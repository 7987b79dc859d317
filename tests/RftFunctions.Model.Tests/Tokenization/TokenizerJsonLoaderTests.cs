using System.Text.Json.Nodes;
using RftFunctions.Model.Tokenization;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>The tokenizer.json / tokenizer_config.json loader on small hand-made files: features and errors.</summary>
public sealed class TokenizerJsonLoaderTests : IDisposable
{
    private readonly TinyTokenizerFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Merges_apply_in_priority_order_and_unknown_pieces_fall_back_to_bytes()
    {
        var tokenizer = _files.Load();
        Assert.Equal([TinyTokenizerFiles.Hello, TinyTokenizerFiles.SpaceW, 'o', 'r', 'l', 'd'], tokenizer.Encode("hello world"));
        Assert.Equal(['x', 'y', 'z'], tokenizer.Encode("xyz"));
        // é is two UTF-8 bytes, each its own byte token.
        Assert.Equal([0xC3, 0xA9], tokenizer.Encode("\u00e9"));
    }

    [Fact]
    public void Merges_stored_as_pairs_encode_like_merges_stored_as_strings()
    {
        var asStrings = _files.Load().Encode("hello hello world");
        var model = _files.Json["model"]!.AsObject();
        model["merges"] = new JsonArray(new JsonArray("h", "e"), new JsonArray("l", "l"), new JsonArray("he", "ll"), new JsonArray("hell", "o"), new JsonArray("Ġ", "w"));
        Assert.Equal(asStrings, _files.Load().Encode("hello hello world"));
        model["merges"] = new JsonArray("h e", "l l", "he ll", "hell o"); // Without Ġ w the space stays its own token.
        Assert.NotEqual(asStrings, _files.Load().Encode("hello hello world"));
    }

    [Fact]
    public void The_split_regex_from_the_file_bounds_the_merges()
    {
        // Llama 3's digit rule \p{N}{1,3}: "12345" splits as "123" + "45", so a "3 4" merge cannot apply across it.
        var model = _files.Json["model"]!.AsObject();
        model["vocab"]!["34"] = 262;
        model["merges"] = new JsonArray("3 4");
        var split = _files.Json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!.AsObject();
        split["Regex"] = @"\p{N}{1,3}|\p{L}+|\s+|[^\s\p{L}\p{N}]+";
        Assert.Equal(['1', '2', '3', '4', '5'], _files.Load().Encode("12345"));
        split["Regex"] = @"\p{N}+|\p{L}+|\s+|[^\s\p{L}\p{N}]+";
        Assert.Equal(['1', '2', 262, '5'], _files.Load().Encode("12345"));
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_vocabulary_word_as_is()
    {
        _files.Json["model"]!["ignore_merges"] = true;
        Assert.Equal([TinyTokenizerFiles.Xyz], _files.Load().Encode("xyz"));
    }

    [Fact]
    public void Added_tokens_are_matched_inline_with_lstrip_rstrip_and_single_word()
    {
        var tokenizer = _files.Load();
        Assert.Equal(['a', TinyTokenizerFiles.End, 'b'], tokenizer.Encode("a<|end|>b"));
        // <mask> swallows the spaces around it.
        Assert.Equal(['a', TinyTokenizerFiles.Mask, 'b'], tokenizer.Encode("a  <mask>  b"));
        // [W] only matches as a whole word.
        Assert.Equal([TinyTokenizerFiles.Word, ' ', 'x'], tokenizer.Encode("[W] x")); // Byte tokens' ids are the byte values.
        Assert.DoesNotContain(TinyTokenizerFiles.Word, tokenizer.Encode("a[W]b"));
        // Partial special tokens are plain text.
        Assert.DoesNotContain(TinyTokenizerFiles.End, tokenizer.Encode("<|end|"));
    }

    [Fact]
    public void Normalized_added_tokens_match_after_NFC_and_raw_ones_before()
    {
        var tokenizer = _files.Load();
        // "e" + combining acute becomes é under NFC, which then matches the normalized added token "é!".
        Assert.Equal([TinyTokenizerFiles.Accent], tokenizer.Encode("e\u0301!"));
        Assert.Equal("\u00e9!", tokenizer.Decode(tokenizer.Encode("e\u0301!")));
    }

    [Fact]
    public void A_gpt2_style_byte_level_pre_tokenizer_uses_its_own_regex_and_prefix_space()
    {
        // ByteLevel alone with use_regex = true splits with GPT-2's pattern; add_prefix_space puts a space first.
        _files.Json["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["use_regex"] = true };
        var tokenizer = _files.Load();
        Assert.Equal([' ', TinyTokenizerFiles.Hello, TinyTokenizerFiles.SpaceW, 'o'], tokenizer.Encode("hello wo"));
        // The prefix space belongs to each segment between added tokens.
        Assert.Equal([' ', 'a', TinyTokenizerFiles.End, ' ', 'b'], tokenizer.Encode("a<|end|>b"));
    }

    [Fact]
    public void The_template_post_processor_adds_bos_only_when_asked()
    {
        var tokenizer = _files.Load();
        Assert.Equal([TinyTokenizerFiles.Begin, TinyTokenizerFiles.Hello], tokenizer.Encode("hello", addSpecialTokens: true));
        Assert.Equal([TinyTokenizerFiles.Hello], tokenizer.Encode("hello"));
    }

    [Fact]
    public void Config_gives_special_ids_and_the_default_named_template()
    {
        var tokenizer = _files.Load();
        Assert.Equal(TinyTokenizerFiles.Begin, tokenizer.BosTokenId);
        Assert.Equal(TinyTokenizerFiles.End, tokenizer.EosTokenId);
        Assert.Null(tokenizer.ConfiguredPadTokenId);
        Assert.Equal(TinyTokenizerFiles.End, tokenizer.PadTokenId); // No pad token: padding uses EOS.
        Assert.Equal([TinyTokenizerFiles.End], tokenizer.EosTokenIds);
        Assert.Equal("<|im_start|>default", tokenizer.Config.ChatTemplate);
    }

    [Fact]
    public void Generation_config_eos_ids_are_added_to_the_stop_ids()
    {
        _files.Write();
        File.WriteAllText(Path.Combine(_files.Folder, "generation_config.json"), "{\"eos_token_id\": [303, 300]}");
        Assert.Equal([TinyTokenizerFiles.End, TinyTokenizerFiles.Begin], HuggingFaceTokenizer.Load(_files.Folder).EosTokenIds);
        File.WriteAllText(Path.Combine(_files.Folder, "generation_config.json"), "{\"eos_token_id\": 99999}");
        var error = Assert.Throws<TokenizerFormatException>(() => HuggingFaceTokenizer.Load(_files.Folder));
        Assert.Equal("eos_token_id", error.Field);
        Assert.Contains("generation_config.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tiny_models_byte_tokenizer_files_load_and_encode_like_the_byte_tokenizer()
    {
        var folder = Path.Combine(_files.Folder, "tiny");
        ByteTokenizer.WriteTokenizerFiles(folder);
        ITextTokenizer loaded = HuggingFaceTokenizer.Load(folder);
        ITextTokenizer bytes = new ByteTokenizer();
        foreach (var text in new[] { "", "hello world", "<|im_start|>user\n你好 🚀<|im_end|>\n", "  \t\r\n e\u0301 𝐀 <|endoftext|>x" })
        {
            Assert.Equal(bytes.Encode(text), loaded.Encode(text));
            Assert.Equal(text, loaded.Decode(loaded.Encode(text)));
        }
        Assert.Equal(bytes.EosTokenIds.Take(0).Append(ByteTokenizer.ImEnd), loaded.EosTokenIds);
        Assert.Equal(bytes.PadTokenId, loaded.PadTokenId);
        Assert.Equal(bytes.BosTokenId, loaded.BosTokenId);
        // The saved tokenizer_config.json carries the rft-tiny Jinja template, so Hugging Face tools render it too.
        Assert.Equal("rft-tiny", ((HuggingFaceTokenizer)loaded).ChatFormat().Name);
        Assert.Equal(Model.Tokenization.Chat.RftTinyChatFormat.JinjaTemplate, TokenizerConfig.Load(Path.Combine(folder, "tokenizer_config.json")).ChatTemplate);
    }

    [Fact]
    public void A_chat_template_jinja_file_supplies_a_missing_template()
    {
        _files.Config.Remove("chat_template");
        _files.Write();
        File.WriteAllText(Path.Combine(_files.Folder, "chat_template.jinja"), "{{ '<|im_start|>' }}");
        Assert.Equal("{{ '<|im_start|>' }}", HuggingFaceTokenizer.Load(_files.Folder).Config.ChatTemplate);
    }

    [Fact]
    public void Decoding_skips_special_tokens_on_request_and_replaces_broken_utf8()
    {
        var tokenizer = _files.Load();
        var ids = tokenizer.Encode("hello<|end|>[W] x");
        Assert.Equal("hello<|end|>[W] x", tokenizer.Decode(ids));
        Assert.Equal("hello[W] x", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("\uFFFD", tokenizer.Decode([0xC3]));
        // An id past the vocabulary (a model's padded embedding rows) decodes to nothing, as in Hugging Face.
        Assert.Equal("hello", tokenizer.Decode([.. tokenizer.Encode("hel"), 999, .. tokenizer.Encode("lo")]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([-1]));
        Assert.Contains("-1", error.Message, StringComparison.Ordinal);

        var stream = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", stream.Push(0xC3)); // First byte of a two-byte character: held back.
        Assert.Equal("\uFFFD<|end|>", stream.Push(TinyTokenizerFiles.End)); // An added token ends it, as Decode does.
        Assert.Equal("", stream.Push(0xE2));
        Assert.Equal("\uFFFD", stream.Flush());
        Assert.Equal("", stream.Push(999));
        Assert.Throws<ArgumentOutOfRangeException>(() => stream.Push(-1));
    }

    [Fact]
    public void A_byte_level_file_without_regex_or_merges_maps_each_byte_to_its_id()
    {
        _files.Json["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false };
        _files.Json["model"]!["merges"] = new JsonArray();
        _files.Json["normalizer"] = null;
        var tokenizer = _files.Load();
        Assert.Equal([(int)'h', 'i', ' ', 0xE2, 0x9C, 0x93, TinyTokenizerFiles.End], tokenizer.Encode("hi \u2713<|end|>"));
        Assert.Equal("hi \u2713<|end|>", tokenizer.Decode(tokenizer.Encode("hi \u2713<|end|>")));
    }

    [Theory]
    [InlineData("unigram", "model.type", "SentencePiece Unigram")]
    [InlineData("wordpiece", "model.type", "WordPiece")]
    [InlineData("byte_fallback", "model.byte_fallback", "SentencePiece-style")]
    [InlineData("metaspace", "pre_tokenizer.type", "'Metaspace' is not supported")]
    [InlineData("no_byte_level", "pre_tokenizer", "no ByteLevel step")]
    [InlineData("removed", "pre_tokenizer.pretokenizers[0].behavior", "'Removed' is not supported")]
    [InlineData("bad_regex", "pre_tokenizer (Split pattern)", "does not compile")]
    [InlineData("lowercase", "normalizer.type", "'Lowercase' is not supported")]
    [InlineData("prefix_after_split", "pre_tokenizer.pretokenizers[1].add_prefix_space", "after a Split")]
    [InlineData("bad_merge", "model.merges[1]", "missing from model.vocab")]
    [InlineData("merge_shape", "model.merges[0]", "not two tokens separated by one space")]
    [InlineData("added_id", "added_tokens[0].id", "missing")]
    [InlineData("vocab_id", "model.vocab[\"he\"]", "non-negative integer")]
    [InlineData("decoder", "decoder.type", "'Metaspace' is not supported")]
    [InlineData("post_processor", "post_processor.type", "'BertProcessing' is not supported")]
    public void Unsupported_or_malformed_fields_are_errors_naming_the_file_and_field(string change, string field, string problem)
    {
        var model = _files.Json["model"]!.AsObject();
        var split = _files.Json["pre_tokenizer"]!["pretokenizers"]![0]!.AsObject();
        switch (change)
        {
            case "unigram": model["type"] = "Unigram"; break;
            case "wordpiece": model["type"] = "WordPiece"; break;
            case "byte_fallback": model["byte_fallback"] = true; break;
            case "metaspace": _files.Json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁" }; break;
            case "no_byte_level": _files.Json["pre_tokenizer"] = new JsonObject { ["type"] = "Sequence", ["pretokenizers"] = new JsonArray(split.DeepClone()) }; break;
            case "removed": split["behavior"] = "Removed"; break;
            case "bad_regex": split["pattern"] = new JsonObject { ["Regex"] = "(unclosed" }; break;
            case "lowercase": _files.Json["normalizer"] = new JsonObject { ["type"] = "Lowercase" }; break;
            case "prefix_after_split": _files.Json["pre_tokenizer"]!["pretokenizers"]![1]!["add_prefix_space"] = true; break;
            case "bad_merge": model["merges"] = new JsonArray("h e", "l q"); break;
            case "merge_shape": model["merges"] = new JsonArray("h e x"); break;
            case "added_id": _files.Json["added_tokens"]![0]!.AsObject().Remove("id"); break;
            case "vocab_id": model["vocab"]!["he"] = "256"; break;
            case "decoder": _files.Json["decoder"] = new JsonObject { ["type"] = "Metaspace" }; break;
            case "post_processor": _files.Json["post_processor"] = new JsonObject { ["type"] = "BertProcessing" }; break;
            default: throw new ArgumentException(change);
        }
        var error = Assert.Throws<TokenizerFormatException>(() => _files.Load());
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_and_broken_json_are_errors_naming_the_file()
    {
        var missing = Assert.Throws<TokenizerFormatException>(() => HuggingFaceTokenizer.Load(Path.Combine(_files.Folder, "nowhere")));
        Assert.Contains("file not found", missing.Message, StringComparison.Ordinal);
        Assert.Contains("tokenizer.json", missing.File, StringComparison.Ordinal);

        _files.Write();
        File.WriteAllText(_files.TokenizerPath, "{\n  \"model\": {\n    \"type\": \"BPE\",,\n");
        var broken = Assert.Throws<TokenizerFormatException>(() => HuggingFaceTokenizer.Load(_files.Folder));
        Assert.Equal("line 3", broken.Field);
    }

    [Fact]
    public void A_config_naming_an_unknown_eos_token_is_an_error()
    {
        _files.Config["eos_token"] = "</s>";
        var error = Assert.Throws<TokenizerFormatException>(() => _files.Load());
        Assert.Equal("eos_token", error.Field);
        Assert.Contains("'</s>'", error.Message, StringComparison.Ordinal);
    }
}
