using RftFunctions.Training.Datasets;

namespace RftFunctions.Demo.Compliance;

/// <summary>One clause of the security policy: what it covers (an action on a kind of data) and its verdict.</summary>
/// <param name="Id">The clause's id, as an explanation cites it (e.g. <c>C17</c>).</param>
/// <param name="Action">The action it covers (e.g. <c>export</c>).</param>
/// <param name="Data">The kind of data it covers (e.g. <c>payroll</c>).</param>
/// <param name="Verdict">Whether such a request is compliant: <c>yes</c>, <c>no</c> or <c>needs review</c>.</param>
public sealed record PolicyClause(string Id, string Action, string Data, string Verdict)
{
    /// <summary>The clause as a sentence (how the base model learns it, and how a reasoned explanation cites it).</summary>
    public string Statement => $"{Action} {Data}: {Id} says {Verdict}";
}

/// <summary>How the policy book is drawn.</summary>
/// <param name="Actions">Actions the policy covers.</param>
/// <param name="DataKinds">Kinds of data it covers; one clause per action and kind of data.</param>
/// <param name="HeldOutPerAction">Clauses of each action whose requests are held out (half with the action's usual
/// verdict, half with another), never seen in training requests.</param>
public sealed record PolicyBookOptions(int Actions = 6, int DataKinds = 6, int HeldOutPerAction = 2);

/// <summary>
/// A seeded miniature security policy: one clause per (action, kind of data), each with a verdict. Every action has a
/// usual verdict that half of its clauses give; the other clauses give one of the two others, so a request cannot be
/// judged by its action alone, only by the clause that covers it. Some clauses of every action are held out: their
/// requests form the held-out set, disjoint from the training requests.
/// </summary>
public sealed class PolicyBook
{
    /// <summary>The three verdicts, as the response format's enum lists them.</summary>
    public static readonly IReadOnlyList<string> Verdicts = ["yes", "no", "needs review"];

    private static readonly string[] ActionPool = ["export", "share", "delete", "copy", "store", "print", "email", "upload", "archive", "sell"];
    private static readonly string[] DataPool = ["payroll", "logs", "contracts", "designs", "invoices", "badges", "backups", "tickets", "resumes", "patents"];

    /// <summary>Words a request may carry that decide nothing (when, how often).</summary>
    public static readonly IReadOnlyList<string> NoiseWords = ["today", "weekly", "urgently", "again", "tonight", "now"];

    private readonly HashSet<string> _heldOut;

    private PolicyBook(IReadOnlyList<string> actions, IReadOnlyList<string> data, IReadOnlyList<PolicyClause> clauses, IReadOnlyDictionary<string, string> usual, HashSet<string> heldOut)
    {
        Actions = actions;
        DataKinds = data;
        Clauses = clauses;
        UsualVerdict = usual;
        _heldOut = heldOut;
    }

    /// <summary>The actions covered.</summary>
    public IReadOnlyList<string> Actions { get; }

    /// <summary>The kinds of data covered.</summary>
    public IReadOnlyList<string> DataKinds { get; }

    /// <summary>Every clause, by action then kind of data.</summary>
    public IReadOnlyList<PolicyClause> Clauses { get; }

    /// <summary>Each action's usual verdict (the one half its clauses give).</summary>
    public IReadOnlyDictionary<string, string> UsualVerdict { get; }

    /// <summary>True when <paramref name="clause"/>'s requests are held out.</summary>
    public bool IsHeldOut(PolicyClause clause) => _heldOut.Contains(clause.Id);

    /// <summary>The clauses whose requests train.</summary>
    public IReadOnlyList<PolicyClause> TrainingClauses => [.. Clauses.Where(c => !IsHeldOut(c))];

    /// <summary>The clauses whose requests are held out.</summary>
    public IReadOnlyList<PolicyClause> HeldOutClauses => [.. Clauses.Where(IsHeldOut)];

    /// <summary>Draws the policy book of <paramref name="seed"/>.</summary>
    public static PolicyBook Create(long seed, PolicyBookOptions options)
    {
        if (options.Actions is < 1 or > 10) throw new ArgumentOutOfRangeException(nameof(options), "1 to 10 actions");
        if (options.DataKinds is < 4 or > 10) throw new ArgumentOutOfRangeException(nameof(options), "4 to 10 kinds of data");
        if (options.HeldOutPerAction < 0 || options.HeldOutPerAction > options.DataKinds - 2) throw new ArgumentOutOfRangeException(nameof(options), "held-out clauses per action");
        var random = SeededRandom.For(seed, 0xC0DE);
        var actions = Shuffle(ActionPool, random).Take(options.Actions).ToList();
        var data = Shuffle(DataPool, random).Take(options.DataKinds).ToList();
        // Ids are shuffled so that an id says nothing about what its clause covers.
        var ids = Shuffle([.. Enumerable.Range(1, options.Actions * options.DataKinds).Select(i => $"C{i}")], random);
        var clauses = new List<PolicyClause>();
        var usual = new Dictionary<string, string>(StringComparer.Ordinal);
        var heldOut = new HashSet<string>(StringComparer.Ordinal);
        int next = 0;
        foreach (var action in actions)
        {
            var usualVerdict = Verdicts[random.NextInt(Verdicts.Count)];
            var others = Verdicts.Where(v => v != usualVerdict).ToList();
            usual[action] = usualVerdict;
            // Half the kinds of data get the usual verdict; the rest alternate between the other two.
            var verdicts = Enumerable.Range(0, options.DataKinds).Select(i => i < (options.DataKinds + 1) / 2 ? usualVerdict : others[i % 2]).ToList();
            var order = Shuffle(Enumerable.Range(0, options.DataKinds).ToList(), random);
            var actionClauses = order.Select((d, i) => new PolicyClause(ids[next++], action, data[d], verdicts[i])).ToList();
            // Held out: alternately a usual-verdict clause and another, so the held-out set has both kinds.
            var usualOnes = actionClauses.Where(c => c.Verdict == usualVerdict).ToList();
            var otherOnes = actionClauses.Where(c => c.Verdict != usualVerdict).ToList();
            for (int h = 0; h < options.HeldOutPerAction; h++)
                heldOut.Add((h % 2 == 0 ? usualOnes[h / 2] : otherOnes[h / 2]).Id);
            clauses.AddRange(actionClauses.OrderBy(c => data.IndexOf(c.Data)));
        }
        return new PolicyBook(actions, data, clauses, usual, heldOut);
    }

    private static List<T> Shuffle<T>(IReadOnlyList<T> items, SeededRandom random)
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
