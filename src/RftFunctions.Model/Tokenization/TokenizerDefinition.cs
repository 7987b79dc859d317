using System.Text;

namespace RftFunctions.Model.Tokenization;

/// <summary>
/// What a Hugging Face <c>tokenizer.json</c> says about a byte-level BPE tokenizer, reduced to the parts this project
/// implements. Produced by <see cref="TokenizerJsonReader"/>; consumed by <see cref="HuggingFaceTokenizer"/>.
/// </summary>
public sealed class TokenizerDefinition
{
    /// <summary>The model vocabulary: byte-level token string to id (added tokens are separate).</summary>
    public required IReadOnlyDictionary<string, int> Vocabulary { get; init; }

    /// <summary>The BPE merges in priority order (first merges first).</summary>
    public required IReadOnlyList<(string Left, string Right)> Merges { get; init; }

    /// <summary>The added tokens, matched in the text before anything else.</summary>
    public required IReadOnlyList<AddedToken> AddedTokens { get; init; }

    /// <summary>The pre-tokenizer's split regex (Hugging Face/Oniguruma syntax), or null to keep each segment whole.</summary>
    public string? SplitPattern { get; init; }

    /// <summary>ByteLevel <c>add_prefix_space</c>: a space is put before every segment that does not start with one.</summary>
    public bool AddPrefixSpace { get; init; }

    /// <summary>Unicode normalization applied to text outside non-normalized added tokens, or null for none.</summary>
    public NormalizationForm? Normalization { get; init; }

    /// <summary>BPE <c>ignore_merges</c>: a pre-token that is itself in the vocabulary is emitted without merging.</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>Tokens the post-processor puts before a single sequence when special tokens are added (e.g. BOS).</summary>
    public IReadOnlyList<string> PrefixTokens { get; init; } = [];

    /// <summary>Tokens the post-processor puts after a single sequence when special tokens are added.</summary>
    public IReadOnlyList<string> SuffixTokens { get; init; } = [];
}
