using RftFunctions.Model;
using RftFunctions.Model.Tokenization;

namespace RftFunctions.Functions.Api.Chat;

/// <summary>
/// The tokenizer as the chat endpoint uses it. Models often pad their vocabulary past the tokenizer (for kernel-friendly
/// sizes); a sampled id in that padding decodes to nothing, as in Hugging Face, instead of failing the request.
/// </summary>
internal sealed class ServingTokenizer(HuggingFaceTokenizer inner) : ITextTokenizer
{
    public int? BosTokenId => inner.BosTokenId;

    public IReadOnlyList<int> EosTokenIds => inner.EosTokenIds;

    public int PadTokenId => inner.PadTokenId;

    public IReadOnlyList<int> Encode(string text) => inner.Encode(text);

    public string Decode(IEnumerable<int> ids) => inner.Decode(ids.Where(id => id >= 0 && id < inner.VocabularySize));
}
