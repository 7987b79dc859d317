namespace RftFunctions.Model;

/// <summary>
/// The little the model engine needs from a tokenizer: text to ids, ids to text, and the special ids that steer
/// generation and padding. The Hugging Face <c>tokenizer.json</c> loader and the tiny models' byte tokenizer implement it.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Encodes text to token ids (no special tokens are added implicitly).</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Decodes token ids to text; special tokens decode to their text form.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>Beginning-of-sequence id, or null where the model has none.</summary>
    int? BosTokenId { get; }

    /// <summary>End-of-sequence ids: generation of a row finishes when it samples any of them.</summary>
    IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>Padding id; batches pad with it (its embedding is never attended to).</summary>
    int PadTokenId { get; }
}
