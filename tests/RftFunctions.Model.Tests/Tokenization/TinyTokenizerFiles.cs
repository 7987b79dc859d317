using System.Text.Json.Nodes;
using RftFunctions.Model.Tokenization;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// A small hand-made byte-level BPE tokenizer.json (the 256 byte tokens, a few merges and added tokens) that tests
/// change field by field, written to a private temporary folder.
/// </summary>
internal sealed class TinyTokenizerFiles : IDisposable
{
    public const int Hello = 259;
    public const int SpaceW = 260;
    public const int Xyz = 261;
    public const int End = 300;
    public const int Mask = 301;
    public const int Word = 302;
    public const int Begin = 303;
    public const int Accent = 304;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rft-tiny-tokenizer-");

    public TinyTokenizerFiles()
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.ToChar((byte)b).ToString()] = b;
        vocab["he"] = 256;
        vocab["ll"] = 257;
        vocab["hell"] = 258;
        vocab["hello"] = Hello;
        vocab["Ġw"] = SpaceW;
        vocab["xyz"] = Xyz; // Reachable only through ignore_merges: no merge makes it.
        Json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                Added(End, "<|end|>", special: true),
                Added(Mask, "<mask>", special: true, lstrip: true, rstrip: true),
                Added(Word, "[W]", special: false, singleWord: true),
                Added(Begin, "<|begin|>", special: true),
                Added(Accent, "\u00e9!", special: false, normalized: true)),
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "Split",
                        ["pattern"] = new JsonObject { ["Regex"] = @"(?i:'s|'t)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+" },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<|begin|>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray("h e", "l l", "he ll", "hell o", "Ġ w"),
            },
        };
        Config = new JsonObject
        {
            ["bos_token"] = "<|begin|>",
            ["eos_token"] = new JsonObject { ["__type"] = "AddedToken", ["content"] = "<|end|>" },
            ["pad_token"] = null,
            ["chat_template"] = new JsonArray(
                new JsonObject { ["name"] = "tool_use", ["template"] = "tools" },
                new JsonObject { ["name"] = "default", ["template"] = "<|im_start|>default" }),
        };
    }

    /// <summary>tokenizer.json content, to change before <see cref="Write"/>.</summary>
    public JsonObject Json { get; }

    /// <summary>tokenizer_config.json content.</summary>
    public JsonObject Config { get; }

    public string Folder => _directory.FullName;

    public string TokenizerPath => Path.Combine(Folder, "tokenizer.json");

    public string ConfigPath => Path.Combine(Folder, "tokenizer_config.json");

    /// <summary>Writes both files and returns the folder.</summary>
    public string Write()
    {
        File.WriteAllText(TokenizerPath, Json.ToJsonString());
        File.WriteAllText(ConfigPath, Config.ToJsonString());
        return Folder;
    }

    public HuggingFaceTokenizer Load() => HuggingFaceTokenizer.Load(Write());

    public void Dispose() => _directory.Delete(recursive: true);

    private static JsonObject Added(int id, string content, bool special, bool lstrip = false, bool rstrip = false, bool singleWord = false, bool normalized = false) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = singleWord,
        ["lstrip"] = lstrip,
        ["rstrip"] = rstrip,
        ["normalized"] = normalized,
        ["special"] = special,
    };
}
