namespace RftFunctions.Training.Demo;

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
}
