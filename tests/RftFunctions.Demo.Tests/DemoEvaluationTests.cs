using RftFunctions.Demo.Genes;
using Xunit;

namespace RftFunctions.Demo.Tests;

public sealed class DemoEvaluationTests
{
    [Fact]
    public void Scores_count_the_right_genes_rank_and_the_answers_that_reason_first()
    {
        var ontology = GeneOntology.Create(3, new OntologyOptions(Families: 4, FamilySize: 6, ValidationFamilies: 1));
        var cases = new GeneCaseGenerator(ontology).Generate(ontology.Genes, 5, 3);
        string RankedAt(GeneCase c, int rank)
        {
            var ranking = c.Ranking.Skip(1).ToList();
            ranking.Insert(rank - 1, c.Answer.Symbol);
            return GeneCase.FormatAnswer(ranking, ontology.BySymbol[ranking[0]], c.Present);
        }
        string[] answers =
        [
            cases[0].ReasonedAnswer(ontology), // rank 1, reasoned
            RankedAt(cases[1], 3),
            "no genes here", // not ranked
            RankedAt(cases[3], 1), // rank 1, keyword format
            RankedAt(cases[4], 6), // listed, but below the top five
        ];
        var scores = DemoEvaluation.Score(answers, cases);
        Assert.Equal(0.4, scores.Top1, 9);
        Assert.Equal(0.6, scores.Top5, 9);
        Assert.Equal(0.8, scores.TopMax, 9);
        Assert.Equal(0.2, scores.Reasoned, 9);
        Assert.Equal(answers, scores.Answers);
    }
}
