using System.Text;
using System.Text.RegularExpressions;

namespace RftFunctions.Graders.Metrics;

/// <summary>The tokenizers the text metrics use, each matching the reference implementation its metric follows.</summary>
internal static partial class TextTokenizers
{
    /// <summary>
    /// sacreBLEU's default <c>13a</c> tokenizer (mteval-v13a.pl): unescape a few HTML entities, split most ASCII
    /// punctuation into its own token, split periods/commas unless next to digits, split a dash after a digit.
    /// </summary>
    public static string[] Mteval13a(string text)
    {
        var line = text.TrimEnd();
        line = line.Replace("<skipped>", "", StringComparison.Ordinal).Replace("-\n", "", StringComparison.Ordinal)
            .Replace("\n", " ", StringComparison.Ordinal);
        if (line.Contains('&', StringComparison.Ordinal))
        {
            line = line.Replace("&quot;", "\"", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal)
                .Replace("&lt;", "<", StringComparison.Ordinal).Replace("&gt;", ">", StringComparison.Ordinal);
        }
        line = " " + line + " ";
        line = Punctuation().Replace(line, " $1 ");
        line = PeriodCommaAfterNonDigit().Replace(line, "$1 $2 ");
        line = PeriodCommaBeforeNonDigit().Replace(line, " $1 $2");
        line = DashAfterDigit().Replace(line, "$1 $2 ");
        return SplitWhitespace(line);
    }

    /// <summary>Whitespace split (what NLTK's GLEU and METEOR receive when given <c>text.split()</c>).</summary>
    public static string[] SplitWhitespace(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// The rouge-score package's tokenizer without stemming: lowercase, every run of characters that are not letters or
    /// digits becomes a separator. (rouge-score keeps only ASCII a-z0-9; we keep all Unicode letters and digits, which is
    /// identical on ASCII text and does not erase non-Latin text.)
    /// </summary>
    public static string[] Rouge(string text)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
            else if (sb.Length > 0)
            {
                tokens.Add(sb.ToString());
                sb.Clear();
            }
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return [.. tokens];
    }

    [GeneratedRegex(@"([\{-\~\[-\x60 -\&\(-\+\:-\@\/])")]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"([^0-9])([\.,])")]
    private static partial Regex PeriodCommaAfterNonDigit();

    [GeneratedRegex(@"([\.,])([^0-9])")]
    private static partial Regex PeriodCommaBeforeNonDigit();

    [GeneratedRegex(@"([0-9])(-)")]
    private static partial Regex DashAfterDigit();
}
