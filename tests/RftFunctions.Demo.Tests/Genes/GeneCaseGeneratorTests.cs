using System.Text.Json;
using RftFunctions.Demo.Genes;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Templates;
using RftFunctions.Training.Datasets;
using Xunit;

namespace RftFunctions.Demo.Tests.Genes;

public sealed class GeneCaseGeneratorTests
{
    private static (GeneOntology Ontology, IReadOnlyList<GeneCase> Train, IReadOnlyList<GeneCase> Valid) Split(long seed)
    {
        var ontology = GeneOntology.Create(seed);
        var generator = new GeneCaseGenerator(ontology);
        var train = generator.Generate([.. ontology.Genes.Where(g => !ontology.IsValidation(g))], 300, seed + 1);
        var valid = generator.Generate([.. ontology.Genes.Where(ontology.IsValidation)], 100, seed + 2);
        return (ontology, train, valid);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(12345)]
    public void Training_and_validation_genes_are_disjoint_including_every_gene_the_rankings_name(long seed)
    {
        var (_, train, valid) = Split(seed);
        var trainGenes = train.SelectMany(c => c.Ranking).ToHashSet();
        var validGenes = valid.SelectMany(c => c.Ranking).ToHashSet();
        Assert.NotEmpty(trainGenes);
        Assert.NotEmpty(validGenes);
        Assert.Empty(trainGenes.Intersect(validGenes));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void No_case_lists_the_answers_own_phenotypes_as_absent(long seed)
    {
        var (_, train, valid) = Split(seed);
        foreach (var c in train.Concat(valid))
        {
            Assert.DoesNotContain(c.Answer.Defining, c.Absent);
            Assert.Empty(c.Absent.Intersect(c.Answer.Phenotypes));
            Assert.Empty(c.Absent.Intersect(c.Present));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(99)]
    public void Every_case_has_a_unique_best_gene_under_the_ontology(long seed)
    {
        var (ontology, train, valid) = Split(seed);
        foreach (var c in train.Concat(valid))
        {
            // Scored here independently of the generator: genes with an absent phenotype are ruled out, then the most
            // present phenotypes explained wins, and the winner must be the answer alone.
            var scores = ontology.Genes.Where(g => !c.Absent.Any(g.Phenotypes.Contains))
                .Select(g => (g.Symbol, Score: c.Present.Count(g.Phenotypes.Contains)))
                .OrderByDescending(s => s.Score).ToList();
            Assert.Equal(c.Answer.Symbol, scores[0].Symbol);
            Assert.True(scores[0].Score > scores[1].Score, $"tie for {c.Prompt}");
            // Present symptoms alone would not decide among look-alikes when the defining one is missing: absent ones must.
            if (!c.Present.Contains(c.Answer.Defining))
                Assert.All(ontology.LookAlikes(c.Answer), g => Assert.Equal(c.Present.Count(g.Phenotypes.Contains), c.Present.Count(c.Answer.Phenotypes.Contains)));
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_files_and_another_seed_does_not()
    {
        string Lines(long seed) => string.Join("\n", Split(seed).Train.Select(DemoDataset.ToJsonLine));
        Assert.Equal(Lines(3), Lines(3));
        Assert.NotEqual(Lines(3), Lines(4));
    }

    [Fact]
    public void The_written_jsonl_is_a_valid_rft_dataset_with_the_item_fields()
    {
        var (_, train, _) = Split(5);
        var path = Path.Combine(Path.GetTempPath(), $"demo-train-{Guid.NewGuid():N}.jsonl");
        try
        {
            DemoDataset.WriteJsonl(path, train.Take(20));
            var result = RftDatasetReader.ReadFile(path);
            Assert.True(result.IsValid, string.Join("; ", result.Errors));
            Assert.Equal(20, result.Examples.Count);
            using var first = JsonDocument.Parse(File.ReadLines(path).First());
            Assert.Equal(train[0].Answer.Symbol, first.RootElement.GetProperty("reference_answer").GetString());
            Assert.Equal(train[0].Ranking.Count, first.RootElement.GetProperty("reference_ranking").GetArrayLength());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(1, 0.5)]
    [InlineData(2, 1.0 / 3)]
    public async Task The_demo_grader_gives_partial_credit_by_rank(int position, double expected)
    {
        var (ontology, train, _) = Split(5);
        var c = train[0];
        var ranking = c.Ranking.Skip(1).ToList();
        ranking.Insert(position, c.Answer.Symbol);
        var answer = GeneCase.FormatAnswer(ranking, ontology.BySymbol[ranking[0]], c.Present);
        using var item = JsonDocument.Parse(DemoDataset.ToJsonLine(c));
        var grader = GraderCompiler.Compile(GraderConfigJson.Parse(DemoDataset.GraderJson));
        var result = await grader.GradeAsync(GradingContext.Create(GradingSample.Create(answer), item.RootElement), GraderServices.None, TestContext.Current.CancellationToken);
        Assert.Equal(expected, result.Reward, 6);
        Assert.Equal(position + 1, RankedAnswer.RankOf(answer, c.Answer.Symbol));
    }
}
