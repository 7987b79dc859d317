using RftFunctions.Training.Datasets;

namespace RftFunctions.Demo.Genes;

/// <summary>How cases are drawn.</summary>
/// <param name="CoreShown">Core phenotypes of the family shown as present (fewer than all: reports are incomplete).</param>
/// <param name="DefiningPresentProbability">Chance the answer's defining phenotype is observed; otherwise only the
/// absent look-alike phenotypes single it out.</param>
/// <param name="NoiseProbability">Chance of one unrelated phenotype among the present ones.</param>
public sealed record CaseOptions(int CoreShown = 2, double DefiningPresentProbability = 0.6, double NoiseProbability = 0.3);

/// <summary>
/// Seeded case reports over a <see cref="GeneOntology"/>. Absent symptoms are the look-alikes' defining phenotypes, so
/// every case has exactly one best gene under the ontology (checked for each case), and never lists the answer's own
/// defining phenotype as absent.
/// </summary>
public sealed class GeneCaseGenerator(GeneOntology ontology, CaseOptions? options = null)
{
    private readonly CaseOptions _options = options ?? new CaseOptions();

    /// <summary>The ontology cases are drawn from.</summary>
    public GeneOntology Ontology => ontology;

    /// <summary><paramref name="count"/> cases whose answers are drawn round-robin from <paramref name="genes"/>.</summary>
    public IReadOnlyList<GeneCase> Generate(IReadOnlyList<Gene> genes, int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfZero(genes.Count);
        var random = SeededRandom.For(seed, 0x6361);
        var order = Shuffled(genes, random);
        var cases = new List<GeneCase>(count);
        for (int i = 0; i < count; i++)
        {
            if (i > 0 && i % order.Count == 0) order = Shuffled(genes, random);
            cases.Add(Draw(order[i % order.Count], random));
        }
        return cases;
    }

    /// <summary>One case for <paramref name="answer"/>.</summary>
    public GeneCase Draw(Gene answer, SeededRandom random)
    {
        var core = answer.Phenotypes.Where(p => p != answer.Defining).ToList();
        var present = Shuffled(core, random).Take(Math.Min(_options.CoreShown, core.Count)).ToList();
        if (random.NextDouble() < _options.DefiningPresentProbability) present.Add(answer.Defining);
        if (random.NextDouble() < _options.NoiseProbability)
        {
            var others = ontology.Genes.Where(g => g.Family != answer.Family).ToList();
            var other = others[random.NextInt(others.Count)];
            present.Add(other.Phenotypes[random.NextInt(other.Phenotypes.Count)]);
        }
        var lookAlikes = Shuffled(ontology.LookAlikes(answer).ToList(), random);
        var absent = lookAlikes.Select(g => g.Defining).ToList();
        var gene = new GeneCase(answer, Shuffled(present, random), absent, [answer.Symbol, .. lookAlikes.Select(g => g.Symbol)]);
        var best = BestGenes(gene.Present, gene.Absent);
        if (best.Count != 1 || best[0] != answer)
            throw new InvalidOperationException($"case for {answer.Symbol} has no unique best gene ({string.Join(", ", best.Select(g => g.Symbol))})");
        return gene;
    }

    /// <summary>
    /// The genes that best explain present and absent phenotypes under the ontology: most present phenotypes
    /// explained, among the genes that have none of the absent ones.
    /// </summary>
    public IReadOnlyList<Gene> BestGenes(IReadOnlyList<string> present, IReadOnlyList<string> absent)
    {
        var candidates = ontology.Genes.Where(g => !absent.Any(g.Phenotypes.Contains))
            .Select(g => (Gene: g, Score: present.Count(g.Phenotypes.Contains))).ToList();
        int top = candidates.Max(c => c.Score);
        return [.. candidates.Where(c => c.Score == top).Select(c => c.Gene)];
    }

    /// <summary>
    /// The warm-up's keyword-match ranking, its deliberate mistake: the answer's family ordered by how many of the
    /// case's symptoms each gene has, present or absent alike, ties in random order. An absent symptom counts for the
    /// look-alike it defines, so the right gene comes first only when its own defining symptom was seen and the tie
    /// with its look-alikes breaks its way.
    /// </summary>
    public static IReadOnlyList<string> KeywordRanking(GeneCase gene, GeneOntology ontology, SeededRandom random)
    {
        var mentioned = gene.Present.Concat(gene.Absent).ToHashSet(StringComparer.Ordinal);
        return [.. Shuffled(gene.Ranking, random).OrderByDescending(s => ontology.BySymbol[s].Phenotypes.Count(mentioned.Contains))];
    }

    private static List<T> Shuffled<T>(IReadOnlyList<T> items, SeededRandom random)
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
