using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Model.Tokenization.Chat;

namespace RftFunctions.Model;

/// <summary>
/// The tiny models' tokenizer: one token per UTF-8 byte (ids 0-255) plus three ChatML special tokens. It has no
/// vocabulary to learn, so tests and the demo get a working tokenizer without downloading one, and it can describe
/// itself as a Hugging Face byte-level BPE tokenizer.json with no merges (ids equal byte values there too).
/// </summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    /// <summary>End of text; also the padding id.</summary>
    public const int EndOfText = 256;

    /// <summary>ChatML message start.</summary>
    public const int ImStart = 257;

    /// <summary>ChatML message end; generation stops on it.</summary>
    public const int ImEnd = 258;

    /// <summary>Number of ids the tokenizer produces.</summary>
    public const int VocabSize = 259;

    private static readonly string[] SpecialTexts = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    /// <inheritdoc />
    public int? BosTokenId => null;

    /// <inheritdoc />
    public IReadOnlyList<int> EosTokenIds { get; } = [EndOfText, ImEnd];

    /// <inheritdoc />
    public int PadTokenId => EndOfText;

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>(text.Length);
        var start = 0;
        while (start < text.Length)
        {
            // Special tokens written inline become their single id, as in Hugging Face tokenizers.
            var (next, special) = NextSpecial(text, start);
            var end = next < 0 ? text.Length : next;
            foreach (var b in Encoding.UTF8.GetBytes(text[start..end])) ids.Add(b);
            if (next < 0) break;
            ids.Add(EndOfText + special);
            start = next + SpecialTexts[special].Length;
        }
        return ids;
    }

    /// <inheritdoc />
    /// <remarks>Ids outside 0..258 (padding rows of a larger model vocabulary) decode to nothing.</remarks>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id is >= 0 and < 256)
            {
                bytes.Add((byte)id);
                continue;
            }
            text.Append(Encoding.UTF8.GetString([.. bytes]));
            bytes.Clear();
            // Ids past the tokenizer (a model's vocabulary may be padded beyond it) decode to nothing, as in Hugging Face.
            if (id is >= EndOfText and < VocabSize) text.Append(SpecialTexts[id - EndOfText]);
        }
        text.Append(Encoding.UTF8.GetString([.. bytes]));
        return text.ToString();
    }

    /// <summary>Writes tokenizer.json and tokenizer_config.json describing this tokenizer for Hugging Face.</summary>
    public static void WriteTokenizerFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        var vocab = new JsonObject();
        var byteChars = ByteLevelAlphabet();
        for (var b = 0; b < 256; b++) vocab[byteChars[b].ToString()] = b;
        var added = new JsonArray();
        for (var i = 0; i < SpecialTexts.Length; i++)
        {
            added.Add(new JsonObject
            {
                ["id"] = EndOfText + i,
                ["content"] = SpecialTexts[i],
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        }
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = added,
            ["normalizer"] = null,
            ["pre_tokenizer"] = ByteLevel(),
            ["post_processor"] = null,
            ["decoder"] = ByteLevel(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(),
            },
        };
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), tokenizer.ToJsonString(options));
        var config = new JsonObject
        {
            ["tokenizer_class"] = "PreTrainedTokenizerFast",
            ["bos_token"] = null,
            ["eos_token"] = SpecialTexts[ImEnd - EndOfText],
            ["pad_token"] = SpecialTexts[0],
            ["model_max_length"] = 4096,
            // So Hugging Face tools (apply_chat_template) render prompts exactly as RftTinyChatFormat does.
            ["chat_template"] = RftTinyChatFormat.JinjaTemplate,
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), config.ToJsonString(options));
    }

    private static (int Index, int Special) NextSpecial(string text, int start)
    {
        var best = (-1, -1);
        for (var s = 0; s < SpecialTexts.Length; s++)
        {
            var i = text.IndexOf(SpecialTexts[s], start, StringComparison.Ordinal);
            if (i >= 0 && (best.Item1 < 0 || i < best.Item1)) best = (i, s);
        }
        return best;
    }

    // GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the rest are shifted past 255.
    private static char[] ByteLevelAlphabet()
    {
        var chars = new char[256];
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = printable ? (char)b : (char)(256 + shifted++);
        }
        return chars;
    }
}
