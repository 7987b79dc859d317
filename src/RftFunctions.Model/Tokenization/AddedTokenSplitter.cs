namespace RftFunctions.Model.Tokenization;

/// <summary>
/// Finds added tokens in text, leftmost first and longest first at one position (the Aho-Corasick LeftmostLongest
/// rule Hugging Face tokenizers uses), honouring <c>single_word</c>, <c>lstrip</c> and <c>rstrip</c>.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>True when there is nothing to look for.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>
    /// Splits <paramref name="text"/> into plain text pieces (Token null) and matched added tokens. Whitespace eaten
    /// by lstrip/rstrip belongs to no piece.
    /// </summary>
    public List<(string Text, AddedToken? Token)> Split(string text)
    {
        var result = new List<(string, AddedToken?)>();
        if (IsEmpty)
        {
            if (text.Length > 0) result.Add((text, null));
            return result;
        }
        int plainStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            var token = MatchAt(text, i);
            if (token is null)
            {
                i++;
                continue;
            }
            int start = i, end = i + token.Content.Length;
            if (token.LeftStrip)
            {
                while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            }
            if (token.RightStrip)
            {
                while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            }
            if (start > plainStart) result.Add((text[plainStart..start], null));
            result.Add((token.Content, token));
            plainStart = i = end;
        }
        if (plainStart < text.Length) result.Add((text[plainStart..], null));
        return result;
    }

    private AddedToken? MatchAt(string text, int index)
    {
        if (!_byFirstChar.TryGetValue(text[index], out var candidates)) return null;
        foreach (var token in candidates)
        {
            if (token.Content.Length > text.Length - index) continue;
            if (string.CompareOrdinal(text, index, token.Content, 0, token.Content.Length) != 0) continue;
            if (token.SingleWord && !IsWholeWord(text, index, index + token.Content.Length)) continue;
            return token;
        }
        return null;
    }

    private static bool IsWholeWord(string text, int start, int end)
    {
        static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
        return (start == 0 || !IsWordChar(text[start - 1])) && (end == text.Length || !IsWordChar(text[end]));
    }
}
