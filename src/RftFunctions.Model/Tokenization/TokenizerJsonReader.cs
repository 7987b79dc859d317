using System.Text;
using System.Text.Json;

namespace RftFunctions.Model.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> (the "fast tokenizer" file) for a byte-level BPE model (GPT-2, Llama 3,
/// Qwen family). Anything else (SentencePiece/Unigram, WordPiece, byte fallback, unknown pre-tokenizers) is rejected
/// with a <see cref="TokenizerFormatException"/> naming the file and field, rather than tokenizing differently.
/// </summary>
public static class TokenizerJsonReader
{
    // GPT-2's ByteLevel pre-tokenizer regex, used when ByteLevel runs with use_regex = true.
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Reads and validates the file at <paramref name="path"/>.</summary>
    public static TokenizerDefinition Load(string path)
    {
        if (!System.IO.File.Exists(path))
            throw new TokenizerFormatException(path, "(file)", "file not found");
        using var stream = System.IO.File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads and validates tokenizer.json content; <paramref name="fileName"/> is used in error messages.</summary>
    public static TokenizerDefinition Read(Stream stream, string fileName)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(fileName, $"line {e.LineNumber + 1}", "not valid JSON: " + e.Message, e);
        }
        using (document)
        {
            return new Reader(fileName).Read(document.RootElement);
        }
    }

    private sealed class Reader(string file)
    {
        private TokenizerFormatException Error(string field, string problem) => new(file, field, problem);

        public TokenizerDefinition Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error("(root)", "expected a JSON object");
            var model = Required(root, "model", "model", JsonValueKind.Object);
            var (vocabulary, merges, ignoreMerges) = ReadModel(model);
            var addedTokens = ReadAddedTokens(root);
            var (pattern, addPrefixSpace) = ReadPreTokenizer(root);
            var normalization = ReadNormalizer(root);
            ReadDecoder(root);
            var (prefix, suffix) = ReadPostProcessor(root);
            foreach (var token in prefix.Concat(suffix))
            {
                if (!vocabulary.ContainsKey(token) && addedTokens.All(a => a.Content != token))
                    throw Error("post_processor", $"token '{token}' is neither in model.vocab nor in added_tokens");
            }
            return new TokenizerDefinition
            {
                Vocabulary = vocabulary,
                Merges = merges,
                AddedTokens = addedTokens,
                SplitPattern = pattern,
                AddPrefixSpace = addPrefixSpace,
                Normalization = normalization,
                IgnoreMerges = ignoreMerges,
                PrefixTokens = prefix,
                SuffixTokens = suffix,
            };
        }

        private (Dictionary<string, int>, List<(string, string)>, bool) ReadModel(JsonElement model)
        {
            var type = OptionalString(model, "type", "model.type");
            if (type is null && !model.TryGetProperty("merges", out _))
                throw Error("model.type", "missing, and the model has no merges: only BPE models are supported");
            if (type is not null and not "BPE")
            {
                var hint = type switch
                {
                    "Unigram" => "a SentencePiece Unigram model (T5, Gemma-style); only byte-level BPE is supported",
                    "WordPiece" => "a WordPiece model (BERT-style); only byte-level BPE is supported",
                    "WordLevel" => "a WordLevel model; only byte-level BPE is supported",
                    _ => "unknown model type; only byte-level BPE is supported",
                };
                throw Error("model.type", $"'{type}' is {hint}");
            }
            if (model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
                throw Error("model.byte_fallback", "true means a SentencePiece-style BPE (Llama 2, Mistral) with <0xNN> byte tokens; only byte-level BPE is supported");
            if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
                throw Error("model.dropout", "BPE dropout makes encoding random; it must be null or 0");
            foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            {
                var value = OptionalString(model, affix, "model." + affix);
                if (!string.IsNullOrEmpty(value)) throw Error("model." + affix, $"'{value}' is not supported (byte-level BPE uses none)");
            }
            bool ignoreMerges = model.TryGetProperty("ignore_merges", out var ignore) && ignore.ValueKind == JsonValueKind.True;

            var vocabElement = Required(model, "vocab", "model.vocab", JsonValueKind.Object);
            var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocabElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                    throw Error($"model.vocab[\"{entry.Name}\"]", "expected a non-negative integer id");
                vocabulary[entry.Name] = id;
            }
            if (vocabulary.Count == 0) throw Error("model.vocab", "is empty");

            var mergesElement = Required(model, "merges", "model.merges", JsonValueKind.Array);
            var merges = new List<(string, string)>(mergesElement.GetArrayLength());
            int index = 0;
            foreach (var merge in mergesElement.EnumerateArray())
            {
                var field = $"model.merges[{index}]";
                (string Left, string Right) pair;
                if (merge.ValueKind == JsonValueKind.String)
                {
                    // Older files: "a b". Tokens of a byte-level vocabulary never contain a space (it is mapped to 'Ġ').
                    var text = merge.GetString()!;
                    var parts = text.Split(' ');
                    if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                        throw Error(field, $"'{text}' is not two tokens separated by one space");
                    pair = (parts[0], parts[1]);
                }
                else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2 &&
                         merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
                {
                    pair = (merge[0].GetString()!, merge[1].GetString()!);
                }
                else
                {
                    throw Error(field, "expected \"a b\" or [\"a\", \"b\"]");
                }
                // Microsoft.ML.Tokenizers takes merges as "a b" lines, so a token containing a space cannot be passed.
                if (pair.Left.Contains(' ', StringComparison.Ordinal) || pair.Right.Contains(' ', StringComparison.Ordinal))
                    throw Error(field, "a merge token contains a space, which a byte-level vocabulary never has");
                if (!vocabulary.ContainsKey(pair.Left) || !vocabulary.ContainsKey(pair.Right) || !vocabulary.ContainsKey(pair.Left + pair.Right))
                    throw Error(field, $"merge '{pair.Left}' + '{pair.Right}' uses or makes a token missing from model.vocab");
                merges.Add(pair);
                index++;
            }
            return (vocabulary, merges, ignoreMerges);
        }

        private List<AddedToken> ReadAddedTokens(JsonElement root)
        {
            var tokens = new List<AddedToken>();
            if (!root.TryGetProperty("added_tokens", out var array) || array.ValueKind == JsonValueKind.Null) return tokens;
            if (array.ValueKind != JsonValueKind.Array) throw Error("added_tokens", "expected an array");
            int index = 0;
            foreach (var item in array.EnumerateArray())
            {
                var field = $"added_tokens[{index}]";
                if (item.ValueKind != JsonValueKind.Object) throw Error(field, "expected an object");
                var idElement = Required(item, "id", field + ".id", JsonValueKind.Number);
                if (!idElement.TryGetInt32(out var id) || id < 0) throw Error(field + ".id", "expected a non-negative integer");
                var content = Required(item, "content", field + ".content", JsonValueKind.String).GetString()!;
                if (content.Length == 0) throw Error(field + ".content", "is empty");
                tokens.Add(new AddedToken(
                    id, content,
                    Special: Flag(item, "special", field, false),
                    SingleWord: Flag(item, "single_word", field, false),
                    LeftStrip: Flag(item, "lstrip", field, false),
                    RightStrip: Flag(item, "rstrip", field, false),
                    Normalized: Flag(item, "normalized", field, true)));
                index++;
            }
            return tokens;
        }

        private (string? Pattern, bool AddPrefixSpace) ReadPreTokenizer(JsonElement root)
        {
            if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind == JsonValueKind.Null)
                throw Error("pre_tokenizer", "missing: a byte-level BPE tokenizer needs a ByteLevel pre-tokenizer");
            var steps = new List<(JsonElement Element, string Field)>();
            var type = RequiredString(pre, "type", "pre_tokenizer.type");
            if (type == "Sequence")
            {
                var list = Required(pre, "pretokenizers", "pre_tokenizer.pretokenizers", JsonValueKind.Array);
                int i = 0;
                foreach (var step in list.EnumerateArray()) steps.Add((step, $"pre_tokenizer.pretokenizers[{i++}]"));
            }
            else
            {
                steps.Add((pre, "pre_tokenizer"));
            }

            string? pattern = null;
            bool byteLevel = false, addPrefixSpace = false;
            foreach (var (step, field) in steps)
            {
                var stepType = RequiredString(step, "type", field + ".type");
                switch (stepType)
                {
                    case "Split":
                        if (byteLevel) throw Error(field, "a Split after ByteLevel is not supported");
                        if (pattern is not null) throw Error(field, "more than one Split is not supported");
                        var patternElement = Required(step, "pattern", field + ".pattern", JsonValueKind.Object);
                        if (patternElement.TryGetProperty("Regex", out var regex) && regex.ValueKind == JsonValueKind.String)
                            pattern = regex.GetString()!;
                        else if (patternElement.TryGetProperty("String", out var literal) && literal.ValueKind == JsonValueKind.String)
                            pattern = System.Text.RegularExpressions.Regex.Escape(literal.GetString()!);
                        else
                            throw Error(field + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                        var behavior = OptionalString(step, "behavior", field + ".behavior");
                        if (behavior is not null and not "Isolated")
                            throw Error(field + ".behavior", $"'{behavior}' is not supported (only Isolated)");
                        if (step.TryGetProperty("invert", out var invert) && invert.ValueKind == JsonValueKind.True)
                            throw Error(field + ".invert", "true is not supported");
                        break;
                    case "ByteLevel":
                        byteLevel = true;
                        addPrefixSpace = Flag(step, "add_prefix_space", field, false);
                        // After a Split, Hugging Face would prefix every split piece with a space: no real model does.
                        if (addPrefixSpace && pattern is not null)
                            throw Error(field + ".add_prefix_space", "true after a Split is not supported");
                        // use_regex defaults to true: ByteLevel then splits with GPT-2's own pattern.
                        if (Flag(step, "use_regex", field, true))
                        {
                            if (pattern is not null) throw Error(field + ".use_regex", "true after a Split (two regex passes) is not supported");
                            pattern = Gpt2Pattern;
                        }
                        break;
                    default:
                        throw Error(field + ".type", $"pre-tokenizer '{stepType}' is not supported (only Split and ByteLevel)");
                }
            }
            if (!byteLevel)
                throw Error("pre_tokenizer", "has no ByteLevel step: only byte-level BPE tokenizers are supported");
            return (pattern, addPrefixSpace);
        }

        private NormalizationForm? ReadNormalizer(JsonElement root)
        {
            if (!root.TryGetProperty("normalizer", out var normalizer) || normalizer.ValueKind == JsonValueKind.Null) return null;
            var type = RequiredString(normalizer, "type", "normalizer.type");
            if (type == "Sequence")
            {
                var list = Required(normalizer, "normalizers", "normalizer.normalizers", JsonValueKind.Array);
                NormalizationForm? form = null;
                int i = 0;
                foreach (var step in list.EnumerateArray())
                {
                    var field = $"normalizer.normalizers[{i++}]";
                    if (form is not null) throw Error(field, "more than one normalizer is not supported");
                    form = Form(RequiredString(step, "type", field + ".type"), field + ".type");
                }
                return form;
            }
            return Form(type, "normalizer.type");
        }

        private NormalizationForm Form(string type, string field) => type switch
        {
            "NFC" => NormalizationForm.FormC,
            "NFD" => NormalizationForm.FormD,
            "NFKC" => NormalizationForm.FormKC,
            "NFKD" => NormalizationForm.FormKD,
            _ => throw Error(field, $"normalizer '{type}' is not supported (only NFC, NFD, NFKC, NFKD)"),
        };

        private void ReadDecoder(JsonElement root)
        {
            if (!root.TryGetProperty("decoder", out var decoder) || decoder.ValueKind == JsonValueKind.Null) return;
            var type = RequiredString(decoder, "type", "decoder.type");
            if (type != "ByteLevel") throw Error("decoder.type", $"decoder '{type}' is not supported (only ByteLevel)");
        }

        private (List<string> Prefix, List<string> Suffix) ReadPostProcessor(JsonElement root)
        {
            var prefix = new List<string>();
            var suffix = new List<string>();
            if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind == JsonValueKind.Null) return (prefix, suffix);
            var steps = new List<(JsonElement, string)>();
            var type = RequiredString(post, "type", "post_processor.type");
            if (type == "Sequence")
            {
                int i = 0;
                foreach (var step in Required(post, "processors", "post_processor.processors", JsonValueKind.Array).EnumerateArray())
                    steps.Add((step, $"post_processor.processors[{i++}]"));
            }
            else
            {
                steps.Add((post, "post_processor"));
            }
            foreach (var (step, field) in steps)
            {
                var stepType = RequiredString(step, "type", field + ".type");
                if (stepType == "ByteLevel") continue; // Only adjusts offsets.
                if (stepType != "TemplateProcessing")
                    throw Error(field + ".type", $"post-processor '{stepType}' is not supported (only ByteLevel and TemplateProcessing)");
                var single = Required(step, "single", field + ".single", JsonValueKind.Array);
                bool seenSequence = false;
                int i = 0;
                foreach (var piece in single.EnumerateArray())
                {
                    var pieceField = $"{field}.single[{i++}]";
                    if (piece.TryGetProperty("Sequence", out _))
                    {
                        seenSequence = true;
                    }
                    else if (piece.TryGetProperty("SpecialToken", out var special))
                    {
                        var id = RequiredString(special, "id", pieceField + ".SpecialToken.id");
                        (seenSequence ? suffix : prefix).Add(id);
                    }
                    else
                    {
                        throw Error(pieceField, "expected a Sequence or SpecialToken entry");
                    }
                }
                if (!seenSequence) throw Error(field + ".single", "has no Sequence entry");
            }
            return (prefix, suffix);
        }

        private JsonElement Required(JsonElement parent, string name, string field, JsonValueKind kind)
        {
            if (!parent.TryGetProperty(name, out var value)) throw Error(field, "missing");
            if (value.ValueKind != kind) throw Error(field, $"expected {kind}, found {value.ValueKind}");
            return value;
        }

        private string RequiredString(JsonElement parent, string name, string field) =>
            Required(parent, name, field, JsonValueKind.String).GetString()!;

        private string? OptionalString(JsonElement parent, string name, string field)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.ValueKind != JsonValueKind.String) throw Error(field, $"expected a string, found {value.ValueKind}");
            return value.GetString();
        }

        private bool Flag(JsonElement parent, string name, string field, bool defaultValue)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return defaultValue;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error($"{field}.{name}", $"expected true or false, found {value.ValueKind}"),
            };
        }
    }
}
