using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace RftFunctions.Model.Tokenization;

/// <summary>
/// A byte-level BPE tokenizer loaded from a Hugging Face model folder (<c>tokenizer.json</c>, and
/// <c>tokenizer_config.json</c> when present) that encodes as the Rust <c>tokenizers</c> library does:
/// added tokens are found first on the raw text (never split), the rest is normalized (e.g. NFC), split with the
/// file's pre-tokenizer regex, and each piece is BPE-merged by Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>.
/// </summary>
public sealed class HuggingFaceTokenizer : ITextTokenizer
{
    /// <summary>The file name of the tokenizer definition in a model folder.</summary>
    public const string TokenizerFileName = "tokenizer.json";

    /// <summary>The file name of the tokenizer configuration in a model folder.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>The generation configuration, whose eos_token_id (a number or a list) adds end-of-sequence ids.</summary>
    public const string GenerationConfigFileName = "generation_config.json";

    private readonly TokenizerDefinition _definition;
    private readonly BpeTokenizer _bpe;
    private readonly AddedTokenSplitter _rawTokens;
    private readonly AddedTokenSplitter _normalizedTokens;
    private readonly CodePointRegexSplitter? _splitter;
    private readonly string?[] _idToToken;
    private readonly bool[] _isAdded;
    private readonly bool[] _isSpecial;
    private readonly Dictionary<string, int> _tokenToId;

    private HuggingFaceTokenizer(TokenizerDefinition definition, TokenizerConfig config, string file, IReadOnlyList<int> extraEosIds)
    {
        _definition = definition;
        Config = config;
        _bpe = BpeTokenizer.Create(new BpeOptions(definition.Vocabulary)
        {
            Merges = definition.Merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
        });
        _rawTokens = new AddedTokenSplitter(definition.AddedTokens.Where(t => !t.Normalized));
        _normalizedTokens = new AddedTokenSplitter(definition.AddedTokens.Where(t => t.Normalized));
        if (definition.SplitPattern is not null)
            _splitter = new CodePointRegexSplitter(definition.SplitPattern, file, "pre_tokenizer (Split pattern)");

        _tokenToId = new Dictionary<string, int>(definition.Vocabulary, StringComparer.Ordinal);
        foreach (var token in definition.AddedTokens) _tokenToId[token.Content] = token.Id;
        int size = _tokenToId.Values.Max() + 1;
        _idToToken = new string?[size];
        _isAdded = new bool[size];
        _isSpecial = new bool[size];
        foreach (var (token, id) in definition.Vocabulary)
        {
            _idToToken[id] = token;
            LongestTokenLength = Math.Max(LongestTokenLength, token.Length);
        }
        foreach (var token in definition.AddedTokens)
        {
            _idToToken[token.Id] = token.Content;
            _isAdded[token.Id] = true;
            _isSpecial[token.Id] = token.Special;
        }
        BosTokenId = IdOfConfigured(config.BosToken, "bos_token");
        EosTokenId = IdOfConfigured(config.EosToken, "eos_token");
        ConfiguredPadTokenId = IdOfConfigured(config.PadToken, "pad_token");
        var eos = new List<int>();
        if (EosTokenId is { } configured) eos.Add(configured);
        foreach (var id in extraEosIds)
        {
            if (id < 0 || id >= _idToToken.Length || _idToToken[id] is null)
                throw new TokenizerFormatException(GenerationConfigFileName, "eos_token_id", $"{id} is not a token id of {TokenizerFileName}");
            if (!eos.Contains(id)) eos.Add(id);
        }
        EosTokenIds = eos;
    }

    /// <summary>The tokenizer_config.json content (special token names, chat template).</summary>
    public TokenizerConfig Config { get; }

    /// <summary>One more than the largest token id (the embedding table needs at least this many rows).</summary>
    public int VocabularySize => _idToToken.Length;

    /// <summary>The BOS token id, or null when the model has none.</summary>
    public int? BosTokenId { get; }

    /// <summary>The EOS token id tokenizer_config.json names, or null when it names none.</summary>
    public int? EosTokenId { get; }

    /// <summary>
    /// Every id that ends generation: tokenizer_config.json's eos_token, then the eos_token_id entries of a
    /// generation_config.json in the same folder (Qwen3 instruct models also stop at &lt;|endoftext|&gt; that way).
    /// </summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The padding token id tokenizer_config.json names, or null when it names none.</summary>
    public int? ConfiguredPadTokenId { get; }

    /// <summary>The padding id: the configured pad token, else the EOS token (the usual choice when a model has none).</summary>
    public int PadTokenId => ConfiguredPadTokenId ?? EosTokenId ?? (EosTokenIds.Count > 0 ? EosTokenIds[0] : throw new InvalidOperationException(
        $"{ConfigFileName} names neither a pad_token nor an eos_token, so there is no padding id"));

    /// <summary>The length of the longest byte-level vocabulary entry (one character per byte).</summary>
    internal int LongestTokenLength { get; }

    /// <summary>The added tokens (special and not), in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _definition.AddedTokens;

    /// <summary>Loads <c>tokenizer.json</c> and, if present, <c>tokenizer_config.json</c> from a model folder.</summary>
    public static HuggingFaceTokenizer Load(string directory)
    {
        var config = Path.Combine(directory, ConfigFileName);
        var generation = Path.Combine(directory, GenerationConfigFileName);
        return Load(Path.Combine(directory, TokenizerFileName), File.Exists(config) ? config : null, File.Exists(generation) ? generation : null);
    }

    /// <summary>Loads the given tokenizer.json and optional tokenizer_config.json and generation_config.json.</summary>
    public static HuggingFaceTokenizer Load(string tokenizerJsonPath, string? tokenizerConfigPath, string? generationConfigPath = null)
    {
        var definition = TokenizerJsonReader.Load(tokenizerJsonPath);
        var config = tokenizerConfigPath is null ? TokenizerConfig.Empty : TokenizerConfig.Load(tokenizerConfigPath);
        var extraEos = generationConfigPath is null ? [] : ReadGenerationEos(generationConfigPath);
        return new HuggingFaceTokenizer(definition, config, tokenizerJsonPath, extraEos);
    }

    /// <summary>Builds a tokenizer from an already read definition (for example one made in code for a tiny model).</summary>
    public static HuggingFaceTokenizer Create(TokenizerDefinition definition, TokenizerConfig? config = null) =>
        new(definition, config ?? TokenizerConfig.Empty, "(in-memory tokenizer definition)", []);

    private static List<int> ReadGenerationEos(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("eos_token_id", out var eos))
                return [];
            return eos.ValueKind switch
            {
                JsonValueKind.Null => [],
                JsonValueKind.Number => [eos.GetInt32()],
                JsonValueKind.Array => eos.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetInt32()
                    : throw new TokenizerFormatException(path, "eos_token_id", $"expected integers, found {e.ValueKind}")).ToList(),
                _ => throw new TokenizerFormatException(path, "eos_token_id", $"expected an integer or a list of integers, found {eos.ValueKind}"),
            };
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, $"line {e.LineNumber + 1}", "not valid JSON: " + e.Message, e);
        }
        catch (FormatException e)
        {
            throw new TokenizerFormatException(path, "eos_token_id", "expected 32-bit integers", e);
        }
    }

    /// <summary>
    /// Encodes <paramref name="text"/> without adding the post-processor's special tokens (Hugging Face
    /// <c>add_special_tokens=False</c>), which is what a rendered chat template needs: it already holds them.
    /// </summary>
    public IReadOnlyList<int> Encode(string text) => Encode(text, addSpecialTokens: false);

    /// <summary>
    /// Encodes <paramref name="text"/>; with <paramref name="addSpecialTokens"/> the post-processor's tokens (e.g. a
    /// Llama 3 BOS) are added around it, like calling a Hugging Face tokenizer with its defaults.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_definition.PrefixTokens.Select(t => _tokenToId[t]));
        var pieces = new List<(int Start, int Length)>();
        foreach (var (raw, rawToken) in _rawTokens.Split(text))
        {
            if (rawToken is not null)
            {
                ids.Add(rawToken.Id);
                continue;
            }
            var normalized = _definition.Normalization is { } form ? raw.Normalize(form) : raw;
            foreach (var (segment, token) in _normalizedTokens.Split(normalized))
            {
                if (token is not null)
                    ids.Add(token.Id);
                else
                    EncodeSegment(segment, ids, pieces);
            }
        }
        if (addSpecialTokens) ids.AddRange(_definition.SuffixTokens.Select(t => _tokenToId[t]));
        return ids;
    }

    private void EncodeSegment(string segment, List<int> ids, List<(int Start, int Length)> pieces)
    {
        if (_definition.AddPrefixSpace && !segment.StartsWith(' ')) segment = " " + segment;
        pieces.Clear();
        if (_splitter is null)
            pieces.Add((0, segment.Length));
        else
            _splitter.Split(segment, pieces);
        foreach (var (start, length) in pieces)
        {
            var word = segment.AsSpan(start, length);
            // ignore_merges (Llama 3): a pre-token that is a whole vocabulary entry is taken as is.
            if (_definition.IgnoreMerges && _definition.Vocabulary.TryGetValue(ByteLevelAlphabet.Encode(word), out var whole))
            {
                ids.Add(whole);
                continue;
            }
            ids.AddRange(_bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false));
        }
    }

    /// <summary>Decodes ids to text, writing special tokens as their text (Hugging Face skip_special_tokens=False).</summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>
    /// Decodes ids to text: byte-level tokens are joined into UTF-8 (invalid sequences become U+FFFD, as Hugging Face
    /// does) and added tokens are written as their text, unless <paramref name="skipSpecialTokens"/> drops special ones.
    /// Ids without a token (a model's padded vocabulary) decode to nothing, as in Hugging Face.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is negative");
            var token = id < _idToToken.Length ? _idToToken[id] : null;
            // Models pad their embedding table past the vocabulary (to a multiple of 64 or 128) and can sample those
            // ids; Hugging Face decodes an id it has no token for to nothing, and so do we.
            if (token is null) continue;
            if (_isAdded[id])
            {
                if (skipSpecialTokens && _isSpecial[id]) continue;
                Flush(bytes, text);
                text.Append(token);
                continue;
            }
            foreach (var c in token)
            {
                if (!ByteLevelAlphabet.TryToByte(c, out var b))
                    throw new InvalidOperationException($"vocabulary token {id} '{token}' has a character outside the byte-level alphabet");
                bytes.Add(b);
            }
        }
        Flush(bytes, text);
        return text.ToString();
    }

    /// <summary>
    /// The chat format of this tokenizer's chat template (see <see cref="Chat.ChatFormat.FromConfig"/>); an unknown or
    /// missing template is an error unless <paramref name="fallback"/> opts into one.
    /// </summary>
    public Chat.ChatFormat ChatFormat(Chat.ChatFormatFallback fallback = Chat.ChatFormatFallback.None) =>
        Chat.ChatFormat.FromConfig(Config, fallback);

    /// <summary>A decoder that turns ids into text one at a time, for token streaming.</summary>
    public StreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>
    /// The bytes a byte-level token stands for (into <paramref name="buffer"/>), or the text of an added token; false
    /// for an id outside the vocabulary.
    /// </summary>
    internal bool TryGetByteLevelBytes(int id, byte[] buffer, out int count, out string? addedText)
    {
        count = 0;
        addedText = null;
        var token = id >= 0 && id < _idToToken.Length ? _idToToken[id] : null;
        if (token is null) return false;
        if (_isAdded[id])
        {
            addedText = token;
            return true;
        }
        foreach (var c in token)
        {
            if (!ByteLevelAlphabet.TryToByte(c, out var b))
                throw new InvalidOperationException($"vocabulary token {id} '{token}' has a character outside the byte-level alphabet");
            buffer[count++] = b;
        }
        return true;
    }

    /// <summary>The id of a vocabulary entry or added token, or null when there is none.</summary>
    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out var id) ? id : null;

    /// <summary>The vocabulary spelling of <paramref name="id"/> (byte-level characters, or an added token's text).</summary>
    public string IdToToken(int id) =>
        (id >= 0 && id < _idToToken.Length ? _idToToken[id] : null)
        ?? throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is not in the vocabulary");

    /// <summary>True when <paramref name="id"/> is an added token marked special (skipped by skip-special decoding).</summary>
    public bool IsSpecial(int id) => id >= 0 && id < _isSpecial.Length && _isSpecial[id];

    private static void Flush(List<byte> bytes, StringBuilder text)
    {
        if (bytes.Count == 0) return;
        text.Append(Encoding.UTF8.GetString(bytes.ToArray()));
        bytes.Clear();
    }

    private int? IdOfConfigured(string? token, string field)
    {
        if (token is null) return null;
        return _tokenToId.TryGetValue(token, out var id)
            ? id
            : throw new TokenizerFormatException(ConfigFileName, field, $"'{token}' is neither an added token nor in the vocabulary of {TokenizerFileName}");
    }
}
