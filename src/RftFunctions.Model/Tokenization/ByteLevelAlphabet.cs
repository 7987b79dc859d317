namespace RftFunctions.Model.Tokenization;

/// <summary>
/// GPT-2's reversible map between the 256 byte values and printable characters (space becomes 'Ġ', newline 'Ċ'), in
/// which byte-level BPE vocabularies are written.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte = BuildCharToByte();

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char ToChar(byte value) => ByteToChar[value];

    /// <summary>The byte a vocabulary character stands for, or false when it is not one of the 256.</summary>
    public static bool TryToByte(char c, out byte value) => CharToByte.TryGetValue(c, out value);

    /// <summary>The vocabulary spelling of the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text.ToArray());
        return string.Create(bytes.Length, bytes, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++) span[i] = ByteToChar[source[i]];
        });
    }

    private static char[] BuildByteToChar()
    {
        // Printable Latin-1 bytes keep their own code point; the rest are shifted to 256 + n in byte order.
        var map = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + next++);
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte()
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (byte)b;
        return map;
    }
}
