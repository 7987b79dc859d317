using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Training.Datasets;

namespace RftFunctions.Demo.Compliance;

/// <summary>One request to the security-policy assistant, with the clause that covers it.</summary>
/// <param name="Clause">The clause that covers the request (its verdict is the right one).</param>
/// <param name="Noise">A word that decides nothing (when, how often).</param>
public sealed record ComplianceItem(PolicyClause Clause, string Noise)
{
    /// <summary>The user message (kept short: a tiny model reads it).</summary>
    public string Prompt => $"request: {Clause.Action} {Clause.Data} {Noise}";

    /// <summary>The right verdict.</summary>
    public string Verdict => Clause.Verdict;

    /// <summary>How a reasoned answer opens: the explanation (the clause that covers the request) before the verdict.</summary>
    public const string ReasoningLead = "{\"explanation\"";

    /// <summary>A reasoned answer: it finds the clause that covers the request, cites it, then gives its verdict.</summary>
    public string ReasonedAnswer() => Answer(Clause.Statement, Clause.Verdict, explanationFirst: true);

    /// <summary>
    /// A keyword answer: the action's usual verdict first, then a clause of the same action that gives it, whatever
    /// the kind of data; right only when the request's clause happens to give the usual verdict (and cites the right
    /// clause only when it happens to pick it).
    /// </summary>
    public string KeywordAnswer(PolicyBook book, SeededRandom random)
    {
        var usual = book.UsualVerdict[Clause.Action];
        var candidates = book.Clauses.Where(c => c.Action == Clause.Action && c.Verdict == usual).ToList();
        var cited = candidates[random.NextInt(candidates.Count)];
        return Answer(cited.Statement, usual, explanationFirst: false);
    }

    /// <summary>An answer in the response format: a JSON object with <c>compliant</c> and <c>explanation</c>.</summary>
    public static string Answer(string explanation, string verdict, bool explanationFirst)
    {
        var e = JsonSerializer.Serialize(explanation);
        var v = JsonSerializer.Serialize(verdict);
        return explanationFirst ? $"{{\"explanation\": {e}, \"compliant\": {v}}}" : $"{{\"compliant\": {v}, \"explanation\": {e}}}";
    }

    /// <summary>One JSONL line: the user message and the item fields the graders read (verdict and clause).</summary>
    public string ToJsonLine() => new JsonObject
    {
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Prompt }),
        ["verdict"] = Verdict,
        ["clause"] = Clause.Id,
    }.ToJsonString();
}

/// <summary>Draws requests for a set of clauses.</summary>
public static class ComplianceItems
{
    /// <summary><paramref name="count"/> requests for <paramref name="clauses"/> (round-robin over a seeded order,
    /// so every clause is asked about), each with a seeded noise word.</summary>
    public static IReadOnlyList<ComplianceItem> Generate(IReadOnlyList<PolicyClause> clauses, int count, long seed)
    {
        if (clauses.Count == 0) throw new ArgumentException("no clauses to draw requests for", nameof(clauses));
        var random = SeededRandom.For(seed, 0x17E5);
        var items = new List<ComplianceItem>(count);
        var order = new List<PolicyClause>();
        for (int i = 0; i < count; i++)
        {
            if (order.Count == 0) order = Shuffle(clauses, random);
            var clause = order[^1];
            order.RemoveAt(order.Count - 1);
            items.Add(new ComplianceItem(clause, PolicyBook.NoiseWords[random.NextInt(PolicyBook.NoiseWords.Count)]));
        }
        return items;
    }

    /// <summary>Writes items as JSONL (one line each, LF endings).</summary>
    public static void WriteJsonl(string path, IEnumerable<ComplianceItem> items) =>
        File.WriteAllText(path, string.Concat(items.Select(i => i.ToJsonLine() + "\n")));

    private static List<PolicyClause> Shuffle(IReadOnlyList<PolicyClause> items, SeededRandom random)
    {
        var list = items.ToList();
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
