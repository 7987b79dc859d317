namespace RftFunctions.Demo.Genes;

/// <summary>One synthetic case report: what a clinician saw and ruled out, and the gene that explains it.</summary>
/// <param name="Answer">The gene that explains the case (the unique best under the ontology).</param>
/// <param name="Present">Observed phenotypes: some of the answer's, possibly one unrelated (noise).</param>
/// <param name="Absent">Phenotypes explicitly not observed: the defining phenotypes of the answer's look-alikes.</param>
/// <param name="Ranking">The reference ranking: the answer, then its look-alikes.</param>
public sealed record GeneCase(Gene Answer, IReadOnlyList<string> Present, IReadOnlyList<string> Absent, IReadOnlyList<string> Ranking)
{
    /// <summary>The user message of the case (kept short: a byte-level tiny model reads it).</summary>
    public string Prompt => $"present: {string.Join(' ', Present)}\nabsent: {string.Join(' ', Absent)}";

    /// <summary>An answer in the demo's format: the ranked genes, then why the first one fits.</summary>
    public static string FormatAnswer(IReadOnlyList<string> ranking, Gene first, IEnumerable<string> present) =>
        $"{string.Join(", ", ranking)} | {first.Symbol} has {string.Join(' ', present.Where(first.Phenotypes.Contains))}";

    /// <summary>How a reasoned answer opens.</summary>
    public const string ReasoningLead = "absent rules out";

    /// <summary>
    /// The reasoned answer: first the look-alikes the absent symptoms rule out (in the order those symptoms are listed),
    /// then the ranking (the one gene left first) and why it fits. The ranked-list grader reads the list after the colon.
    /// </summary>
    public string ReasonedAnswer(GeneOntology ontology)
    {
        var ruledOut = Absent.Select(p => ontology.ByPhenotype[p].Single(g => g.Defining == p).Symbol).ToList();
        return $"{ReasoningLead} {string.Join(' ', ruledOut)}: {FormatAnswer([Answer.Symbol, .. ruledOut], Answer, Present)}";
    }
}
