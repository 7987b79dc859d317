using RftFunctions.Training.Datasets;

namespace RftFunctions.Demo.Genes;

/// <summary>One gene of the synthetic ontology: its symbol, its family of look-alikes and its phenotypes.</summary>
/// <param name="Symbol">Short upper-case symbol (three letters and a digit), e.g. <c>KOV4</c>.</param>
/// <param name="Family">Index of its family; genes of one family share their core phenotypes.</param>
/// <param name="Phenotypes">The family's core phenotypes followed by <see cref="Defining"/>.</param>
/// <param name="Defining">The phenotype only this gene has: the one that tells it from its look-alikes.</param>
public sealed record Gene(string Symbol, int Family, IReadOnlyList<string> Phenotypes, string Defining);

/// <summary>The ontology's size knobs.</summary>
/// <param name="Families">Groups of look-alike genes.</param>
/// <param name="FamilySize">Genes per family.</param>
/// <param name="CorePhenotypes">Phenotypes every gene of a family shares.</param>
/// <param name="ValidationFamilies">Families whose genes appear only in validation cases (never in RFT training).</param>
public sealed record OntologyOptions(int Families = 12, int FamilySize = 3, int CorePhenotypes = 3, int ValidationFamilies = 4);

/// <summary>
/// A seeded miniature of a rare-disease gene ontology. Genes come in families of look-alikes that share their core
/// phenotypes, so present symptoms alone narrow a case to a family and only a gene's defining phenotype (present, or
/// its look-alikes' listed as absent) singles the gene out. Whole families are either training or validation, so
/// validation genes are disjoint from training genes and their look-alikes too.
/// </summary>
public sealed class GeneOntology
{
    private GeneOntology(OntologyOptions options, IReadOnlyList<Gene> genes)
    {
        Options = options;
        Genes = genes;
        BySymbol = genes.ToDictionary(g => g.Symbol, StringComparer.Ordinal);
        ByPhenotype = genes.SelectMany(g => g.Phenotypes.Select(p => (p, g)))
            .GroupBy(x => x.p, StringComparer.Ordinal)
            .ToDictionary(x => x.Key, x => (IReadOnlyList<Gene>)[.. x.Select(y => y.g)], StringComparer.Ordinal);
    }

    /// <summary>The knobs it was built with.</summary>
    public OntologyOptions Options { get; }

    /// <summary>Every gene, family after family.</summary>
    public IReadOnlyList<Gene> Genes { get; }

    /// <summary>Genes by symbol.</summary>
    public IReadOnlyDictionary<string, Gene> BySymbol { get; }

    /// <summary>For each phenotype, the genes that have it.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Gene>> ByPhenotype { get; }

    /// <summary>Every phenotype name.</summary>
    public IEnumerable<string> Phenotypes => ByPhenotype.Keys;

    /// <summary>True when the gene's family is held out for validation (the last families).</summary>
    public bool IsValidation(Gene gene) => gene.Family >= Options.Families - Options.ValidationFamilies;

    /// <summary>The other genes of a gene's family.</summary>
    public IEnumerable<Gene> LookAlikes(Gene gene) => Genes.Where(g => g.Family == gene.Family && g.Symbol != gene.Symbol);

    /// <summary>Builds the ontology for a seed (same seed, same ontology).</summary>
    public static GeneOntology Create(long seed, OntologyOptions? options = null)
    {
        options ??= new OntologyOptions();
        if (options.Families < 2 || options.FamilySize < 2 || options.CorePhenotypes < 2)
            throw new ArgumentException("an ontology needs at least 2 families of 2 genes with 2 core phenotypes", nameof(options));
        if (options.ValidationFamilies < 1 || options.ValidationFamilies >= options.Families)
            throw new ArgumentException("ValidationFamilies must leave at least one family on each side", nameof(options));
        var random = SeededRandom.For(seed, 0x6E6F);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var genes = new List<Gene>();
        for (int f = 0; f < options.Families; f++)
        {
            var core = Enumerable.Range(0, options.CorePhenotypes).Select(_ => Unique(random, used, PhenotypeName)).ToList();
            for (int i = 0; i < options.FamilySize; i++)
            {
                var defining = Unique(random, used, PhenotypeName);
                genes.Add(new Gene(Unique(random, used, GeneSymbol), f, [.. core, defining], defining));
            }
        }
        return new GeneOntology(options, genes);
    }

    private static string Unique(SeededRandom random, HashSet<string> used, Func<SeededRandom, string> make)
    {
        while (true)
        {
            var name = make(random);
            if (used.Add(name)) return name;
        }
    }

    // Pronounceable four-letter words keep prompts short in bytes and readable in the report.
    private static string PhenotypeName(SeededRandom random)
    {
        const string consonants = "bdfgklmnprstvz", vowels = "aeiou";
        return string.Concat(consonants[random.NextInt(consonants.Length)], vowels[random.NextInt(vowels.Length)],
            consonants[random.NextInt(consonants.Length)], vowels[random.NextInt(vowels.Length)]);
    }

    private static string GeneSymbol(SeededRandom random)
    {
        const string letters = "ABCDEFGHKLMNPRSTVWZ";
        return string.Concat(letters[random.NextInt(letters.Length)], letters[random.NextInt(letters.Length)],
            letters[random.NextInt(letters.Length)], (char)('1' + random.NextInt(9)));
    }
}
