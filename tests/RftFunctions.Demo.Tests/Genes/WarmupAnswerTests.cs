using System.Text.Json;
using RftFunctions.Demo.Genes;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Templates;
using RftFunctions.Training.Datasets;
using Xunit;

namespace RftFunctions.Demo.Tests.Genes;

/// <summary>The two kinds of warm-up answer the base model learns from: the reasoned one and the keyword match.</summary>
public sealed class WarmupAnswerTests
{
    private static (GeneOntology Ontology, IReadOnlyList<GeneCase> Cases) Cases(long seed, int count = 120)
    {
        var ontology = GeneOntology.Create(seed, DemoRecipe.Default.Ontology);
        return (ontology, new GeneCaseGenerator(ontology, DemoRecipe.Default.Cases).Generate(ontology.Genes, count, seed));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public async Task A_reasoned_answer_rules_out_the_look_alikes_its_absent_symptoms_define_and_the_grader_gives_it_full_credit(long seed)
    {
        var (ontology, cases) = Cases(seed, 40);
        var grader = GraderCompiler.Compile(GraderConfigJson.Parse(DemoDataset.GraderJson));
        foreach (var c in cases)
        {
            var answer = c.ReasonedAnswer(ontology);
            const string Lead = "absent rules out ";
            Assert.StartsWith(Lead, answer, StringComparison.Ordinal);
            var ruledOut = answer[Lead.Length..answer.IndexOf(':', StringComparison.Ordinal)].Split(' ');
            // In the order the absent symptoms are listed: each one names the look-alike it defines.
            Assert.Equal(c.Absent, ruledOut.Select(s => ontology.BySymbol[s].Defining));
            Assert.Equal(ontology.LookAlikes(c.Answer).Select(g => g.Symbol).Order(), ruledOut.Order());
            Assert.Equal([c.Answer.Symbol, .. ruledOut], RankedAnswer.Genes(answer));
            using var item = JsonDocument.Parse(DemoDataset.ToJsonLine(c));
            var result = await grader.GradeAsync(GradingContext.Create(GradingSample.Create(answer), item.RootElement), GraderServices.None, TestContext.Current.CancellationToken);
            Assert.Equal(1.0, result.Reward, 6);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void The_keyword_ranking_puts_a_look_alike_first_unless_the_answers_own_defining_symptom_was_seen(long seed)
    {
        var (ontology, cases) = Cases(seed);
        var random = SeededRandom.For(seed, 1);
        int seen = 0, seenAndFirst = 0;
        foreach (var c in cases)
        {
            var ranking = GeneCaseGenerator.KeywordRanking(c, ontology, random);
            Assert.Equal(c.Ranking.Order(), ranking.Order());
            if (c.Present.Contains(c.Answer.Defining))
            {
                // A three-way tie (each gene matches its family's shown symptoms plus its own defining one, present or
                // absent), broken at random.
                seen++;
                if (ranking[0] == c.Answer.Symbol) seenAndFirst++;
            }
            else
            {
                Assert.Equal(c.Answer.Symbol, ranking[^1]);
            }
        }
        Assert.InRange(seen, 1, cases.Count - 1);
        Assert.InRange(seenAndFirst, 1, seen - 1);
    }

    [Fact]
    public void The_ranked_answer_reader_reads_both_answer_kinds_and_a_plain_list()
    {
        Assert.Equal(["C1", "A1", "B1"], RankedAnswer.Genes("absent rules out A1 B1: C1, A1, B1 | C1 has x y"));
        Assert.Equal(["A1", "C1", "B1"], RankedAnswer.Genes("A1, C1, B1 | A1 has x z"));
        Assert.Equal(["A1", "B1"], RankedAnswer.Genes("A1, B1"));
        Assert.Equal(2, RankedAnswer.RankOf("absent rules out A1 B1: B1, C1 | B1 has q", "C1"));
    }
}
