using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RftFunctions.Model.Tokenization;

/// <summary>
/// Splits text with a Hugging Face pre-tokenizer regex the way the Rust tokenizers library (Oniguruma) does: matches
/// and the gaps between them become pieces ("Isolated"), and classes like <c>\p{L}</c> see whole code points.
/// .NET's regex engine works on UTF-16 code units, so a letter outside the Basic Multilingual Plane (a surrogate pair,
/// category Cs to .NET) would not match <c>\p{L}</c>. Before matching, each such code point is replaced by one BMP
/// character of the same Unicode category, and match positions are mapped back to the original string.
/// </summary>
internal sealed class CodePointRegexSplitter
{
    private static readonly char[] Representatives = BuildRepresentatives();
    private readonly Regex _regex;

    public CodePointRegexSplitter(string pattern, string file, string field)
    {
        try
        {
            _regex = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(10));
        }
        catch (ArgumentException e)
        {
            throw new TokenizerFormatException(file, field, $"the regex does not compile in .NET: {e.Message}", e);
        }
    }

    /// <summary>Appends the (start, length) pieces of <paramref name="text"/> to <paramref name="pieces"/>.</summary>
    public void Split(string text, List<(int Start, int Length)> pieces)
    {
        if (!HasSurrogate(text))
        {
            Isolate(text, null, text.Length, pieces);
            return;
        }
        // Index map: position in the substituted string -> position in the original (plus one past the end).
        var mapped = new StringBuilder(text.Length);
        var origin = new List<int>(text.Length + 1);
        for (int i = 0; i < text.Length;)
        {
            origin.Add(i);
            if (Rune.TryGetRuneAt(text, i, out var rune))
            {
                mapped.Append(rune.IsBmp ? (char)rune.Value : Representatives[(int)Rune.GetUnicodeCategory(rune)]);
                i += rune.Utf16SequenceLength;
            }
            else
            {
                mapped.Append(text[i]); // A lone surrogate stays itself.
                i++;
            }
        }
        origin.Add(text.Length);
        Isolate(mapped.ToString(), origin, text.Length, pieces);
    }

    private void Isolate(string subject, List<int>? origin, int originalLength, List<(int, int)> pieces)
    {
        int last = 0;
        foreach (var match in _regex.EnumerateMatches(subject))
        {
            if (match.Length == 0) continue;
            int start = origin?[match.Index] ?? match.Index;
            int end = origin?[match.Index + match.Length] ?? match.Index + match.Length;
            if (start > last) pieces.Add((last, start - last));
            pieces.Add((start, end - start));
            last = end;
        }
        if (originalLength > last) pieces.Add((last, originalLength - last));
    }

    private static bool HasSurrogate(string text)
    {
        foreach (var c in text)
        {
            if (char.IsSurrogate(c)) return true;
        }
        return false;
    }

    private static char[] BuildRepresentatives()
    {
        // For each category, the first BMP character above Latin-1 that has it (so it never equals an ASCII literal of
        // a pattern such as 's in the contraction alternatives).
        var table = new char[Enum.GetValues<UnicodeCategory>().Length];
        Array.Fill(table, '\uFFFF');
        for (int c = 0x100; c <= 0xFFFF; c++)
        {
            if (c is >= 0xD800 and <= 0xDFFF) continue;
            int category = (int)CharUnicodeInfo.GetUnicodeCategory((char)c);
            if (table[category] == '\uFFFF') table[category] = (char)c;
        }
        return table;
    }
}
