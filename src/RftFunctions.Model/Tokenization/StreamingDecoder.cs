using System.Text;

namespace RftFunctions.Model.Tokenization;

/// <summary>
/// Decodes token ids one at a time for streaming: a token that ends in the middle of a UTF-8 character (common for
/// emoji and CJK in byte-level vocabularies) yields nothing until the character completes. The concatenation of every
/// <see cref="Push"/> and the final <see cref="Flush"/> equals <see cref="HuggingFaceTokenizer.Decode(IEnumerable{int}, bool)"/>
/// of the same ids. Not thread-safe: one per stream.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly HuggingFaceTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private readonly byte[] _bytes;
    private readonly char[] _chars;

    internal StreamingDecoder(HuggingFaceTokenizer tokenizer, bool skipSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
        _bytes = new byte[tokenizer.LongestTokenLength];
        // Each byte yields at most one char, plus the bytes of a character left pending by the previous token.
        _chars = new char[tokenizer.LongestTokenLength + 8];
    }

    /// <summary>The text that <paramref name="id"/> completes (possibly empty).</summary>
    public string Push(int id)
    {
        if (id < 0) throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is negative");
        // An id without a token (padded vocabulary) decodes to nothing, as in a whole-sequence decode.
        if (!_tokenizer.TryGetByteLevelBytes(id, _bytes, out int count, out var addedText)) return "";
        if (addedText is not null)
        {
            // An added token ends any pending partial character, as in a whole-sequence decode.
            var pending = Convert([], flush: true);
            return _skipSpecialTokens && _tokenizer.IsSpecial(id) ? pending : pending + addedText;
        }
        return Convert(_bytes.AsSpan(0, count), flush: false);
    }

    /// <summary>Ends the stream: an incomplete trailing character becomes U+FFFD.</summary>
    public string Flush() => Convert([], flush: true);

    private string Convert(ReadOnlySpan<byte> bytes, bool flush)
    {
        int written = _utf8.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, written);
    }
}
