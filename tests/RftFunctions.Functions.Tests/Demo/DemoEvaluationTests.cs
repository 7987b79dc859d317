using RftFunctions.Functions.Demo;
using RftFunctions.Training.Demo;
using Xunit;

namespace RftFunctions.Functions.Tests.Demo;

public sealed class DemoEvaluationTests
{
    [Fact]
    public void Scores_count_the_right_genes_rank_and_the_answers_that_reason_first()
    {
        var ontology = GeneOntology.Create(3, DemoRecipe.Default.Ontology);
        var cases = new GeneCaseGenerator(ontology, DemoRecipe.Default.Cases).Generate(ontology.Genes, 4, 3);
        var last = cases[1].Ranking.Skip(1).Append(cases[1].Answer.Symbol).ToList();
        string[] answers =
        [
            cases[0].ReasonedAnswer(ontology), // rank 1, reasoned
            GeneCase.FormatAnswer(last, ontology.BySymbol[last[0]], cases[1].Present), // rank 3
            "no genes here", // not ranked
            GeneCase.FormatAnswer(cases[3].Ranking, cases[3].Answer, cases[3].Present), // rank 1, keyword format
        ];
        var scores = DemoEvaluation.Score(answers, cases);
        Assert.Equal(0.5, scores.Top1);
        Assert.Equal(0.75, scores.Top5);
        Assert.Equal(0.75, scores.TopMax);
        Assert.Equal(0.25, scores.Reasoned);
        Assert.Equal(answers, scores.Answers);
    }
}
