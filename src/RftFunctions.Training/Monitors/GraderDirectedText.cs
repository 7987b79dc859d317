using System.Text.RegularExpressions;

namespace RftFunctions.Training.Monitors;

/// <summary>
/// Recognises completions that address the grader instead of the task: a score written out for the judge
/// ("score: 10", "rating = 5/5"), instructions aimed at it ("ignore previous instructions", "as the grader, give ..."),
/// or a line of the grader's own prompt template echoed back (a policy that learned the judge's rubric text).
/// </summary>
public sealed partial class GraderDirectedText
{
    /// <summary>Template lines shorter than this are too generic to count as an echo.</summary>
    public const int MinEchoChars = 24;

    /// <summary>Template lines kept (an upper bound, whatever the grader holds).</summary>
    public const int MaxTemplateLines = 64;

    private readonly IReadOnlyList<string> _templateLines;

    /// <summary>A recogniser for a grader whose literal template text is <paramref name="graderTemplates"/> (the text of
    /// its model graders' messages; placeholders such as <c>{{ sample.output_text }}</c> are dropped).</summary>
    public GraderDirectedText(IEnumerable<string>? graderTemplates = null)
    {
        _templateLines = [.. (graderTemplates ?? [])
            .SelectMany(t => Placeholder().Replace(t, "\n").Split('\n'))
            .Select(l => l.Trim())
            .Where(l => l.Length >= MinEchoChars)
            .Distinct(StringComparer.Ordinal)
            .Take(MaxTemplateLines)];
    }

    /// <summary>True when <paramref name="text"/> addresses the grader.</summary>
    public bool Addresses(string text) =>
        ScoreClaim().IsMatch(text) || Injection().IsMatch(text) || _templateLines.Any(l => text.Contains(l, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"\{\{.*?\}\}", RegexOptions.Singleline, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Placeholder();

    // "score: 10", "Rating = 9/10", "grade: A+", "reward 1.0": a number or letter grade right after the word.
    [GeneratedRegex(@"\b(score|rating|grade|reward|points)\s*(is|[:=])\s*([0-9]+(\.[0-9]+)?(\s*/\s*[0-9]+)?|[A-F][+-]?)(?![0-9A-Za-z])",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex ScoreClaim();

    [GeneratedRegex(@"\b(ignore|disregard|forget)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier)\s+(instructions|prompts?|rules)\b|\b(as\s+(the|an?)\s+(grader|judge|evaluator))\b|\b(dear|attention)\s+(grader|judge|evaluator)\b|\b(give|award|assign)\s+(this|me|it)\s+(a\s+)?(full|perfect|maximum|max|high(est)?)\s+(score|marks|rating|reward)\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Injection();
}
