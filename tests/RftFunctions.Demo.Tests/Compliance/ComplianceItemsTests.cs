using System.Text.Json;
using RftFunctions.Demo.Compliance;
using RftFunctions.Graders.Config;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Python;
using RftFunctions.Graders.Templates;
using RftFunctions.Training.Datasets;
using Xunit;

namespace RftFunctions.Demo.Tests.Compliance;

/// <summary>The compliance demo's data: the seeded policy, disjoint training and held-out requests, and the two kinds
/// of answer the base model learns from, graded by the demo's own grader (python in the sandbox included).</summary>
public sealed class ComplianceItemsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(12345)]
    public void Training_and_held_out_requests_are_about_disjoint_clauses(long seed)
    {
        foreach (var recipe in new[] { ComplianceRecipe.Default, ComplianceRecipe.Reduced })
        {
            var book = PolicyBook.Create(seed, recipe.Policies);
            var train = ComplianceItems.Generate(book.TrainingClauses, recipe.TrainItems, seed + 1);
            var heldOut = ComplianceItems.Generate(book.HeldOutClauses, recipe.HeldOutItems, seed + 2);
            Assert.Empty(train.Select(i => i.Clause.Id).Intersect(heldOut.Select(i => i.Clause.Id)));
            Assert.Empty(train.Select(i => i.Prompt).Intersect(heldOut.Select(i => i.Prompt)));
            // Every held-out clause is asked about, and the held-out set has usual and unusual verdicts alike.
            Assert.Equal(book.HeldOutClauses.Select(c => c.Id).Order(), heldOut.Select(i => i.Clause.Id).Distinct().Order());
            Assert.Contains(heldOut, i => i.Verdict == book.UsualVerdict[i.Clause.Action]);
            Assert.Contains(heldOut, i => i.Verdict != book.UsualVerdict[i.Clause.Action]);
        }
    }

    [Fact]
    public void The_policy_is_seeded_and_no_action_can_be_judged_by_its_name_alone()
    {
        var a = PolicyBook.Create(7, ComplianceRecipe.Default.Policies);
        Assert.Equal(a.Clauses, PolicyBook.Create(7, ComplianceRecipe.Default.Policies).Clauses);
        Assert.NotEqual(a.Clauses, PolicyBook.Create(8, ComplianceRecipe.Default.Policies).Clauses);
        Assert.Equal(a.Clauses.Count, a.Clauses.Select(c => c.Id).Distinct().Count());
        foreach (var action in a.Actions)
        {
            var verdicts = a.Clauses.Where(c => c.Action == action).Select(c => c.Verdict).ToList();
            Assert.True(verdicts.Distinct().Count() >= 2, action);
            Assert.Equal(a.UsualVerdict[action], verdicts.GroupBy(v => v).MaxBy(g => g.Count())!.Key);
        }
    }

    [Fact]
    public async Task A_reasoned_answer_gets_full_credit_from_the_demo_grader_and_a_keyword_answer_only_when_the_usual_verdict_is_right()
    {
        var book = PolicyBook.Create(7, ComplianceRecipe.Default.Policies);
        var items = ComplianceItems.Generate(book.Clauses, 24, 3);
        var grader = GraderCompiler.Compile(GraderConfigJson.Parse(ComplianceDataset.GraderJson));
        await using var pool = new PythonGraderPool(new PythonGraderPoolOptions { Workers = 1 });
        var services = GraderServices.None with { Python = pool };
        var random = SeededRandom.For(1, 2);
        var ct = TestContext.Current.CancellationToken;
        foreach (var item in items)
        {
            using var line = JsonDocument.Parse(item.ToJsonLine());
            var reasoned = item.ReasonedAnswer();
            Assert.StartsWith(ComplianceItem.ReasoningLead, reasoned, StringComparison.Ordinal);
            var full = await grader.GradeAsync(GradingContext.Create(GradingSample.Create(reasoned, outputJsonRequired: true), line.RootElement), services, ct);
            Assert.Equal(1.0, full.Reward, 6);

            var keyword = item.KeywordAnswer(book, random);
            var (verdict, explanation) = ComplianceEvaluation.Parse(keyword);
            Assert.Equal(book.UsualVerdict[item.Clause.Action], verdict);
            var graded = await grader.GradeAsync(GradingContext.Create(GradingSample.Create(keyword, outputJsonRequired: true), line.RootElement), services, ct);
            double expected = (0.5 * (verdict == item.Verdict ? 1 : 0)) + (0.5 * (ComplianceEvaluation.CitesClause(explanation, item.Clause.Id) ? 1 : 0));
            Assert.Equal(expected, graded.Reward, 6);
        }
        // An answer that is not JSON gets nothing.
        using (var first = JsonDocument.Parse(items[0].ToJsonLine()))
        {
            var broken = await grader.GradeAsync(GradingContext.Create(GradingSample.Create("compliant: yes", outputJsonRequired: true), first.RootElement), services, ct);
            Assert.Equal(0.0, broken.Reward, 6);
        }
    }

    [Fact]
    public void Scores_count_verdicts_clauses_and_valid_json_per_answer()
    {
        var book = PolicyBook.Create(7, ComplianceRecipe.Default.Policies);
        var items = ComplianceItems.Generate(book.HeldOutClauses, 4, 3);
        var answers = new[]
        {
            items[0].ReasonedAnswer(),
            ComplianceItem.Answer("nothing cited", items[1].Verdict, explanationFirst: false),
            "not json",
            ComplianceItem.Answer(items[3].Clause.Statement, PolicyBook.Verdicts.First(v => v != items[3].Verdict), explanationFirst: true),
        };
        var scores = ComplianceEvaluation.Score(answers, items);
        Assert.Equal(0.5, scores.VerdictAccuracy);
        Assert.Equal(0.5, scores.ExplanationScore);
        Assert.Equal(0.75, scores.ValidJson);
        Assert.Equal(0.5, scores.ReasonsFirst);
    }
}
