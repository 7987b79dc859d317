using RftFunctions.Training.Monitors;
using Xunit;

namespace RftFunctions.Training.Tests.Monitors;

public sealed class SampleSummaryTests
{
    private static MonitoredSample S(int id, int length, double reward, double a = 0, double b = 0, string? text = null) =>
        new($"s{id}", text ?? new string('w', length), [.. Enumerable.Range(id * 7, length)], reward, new Dictionary<string, double> { ["a"] = a, ["b"] = b });

    [Fact]
    public void Shards_add_up_to_the_summary_of_all_their_samples()
    {
        var samples = Enumerable.Range(0, 16).Select(i => S(i, 5 + (i % 5), (i % 3) / 2.0, i % 2, (i % 3) / 2.0, i == 5 ? "Score: 9" : null)).ToList();
        var text = new GraderDirectedText();
        var whole = SampleSummary.Of(samples, 4, text);
        var added = SampleSummary.Add(SampleSummary.Of(samples[..8], 4, text), SampleSummary.Of(samples[8..], 4, text));

        Assert.Equal(whole.Samples, added.Samples);
        Assert.Equal(whole.CorrelatedGroups, added.CorrelatedGroups);
        Assert.Equal(whole.LengthRewardCorrelation(), added.LengthRewardCorrelation(), 9);
        Assert.Equal(whole.DistinctNgramRatio()!.Value, added.DistinctNgramRatio()!.Value, 9);
        Assert.Equal(whole.Correlation("a", "reward")!.Value, added.Correlation("a", "reward")!.Value, 9);
        Assert.Equal(whole.Correlation("a", "b")!.Value, added.Correlation("a", "b")!.Value, 9);
        Assert.Equal(1, added.GraderDirected);
        Assert.Equal(whole.Longest.Select(e => e.SampleId), added.Longest.Select(e => e.SampleId));
    }

    [Fact]
    public void Reward_paid_for_length_correlates_and_identical_samples_repeat_their_bigrams()
    {
        var paid = SampleSummary.Of([S(1, 3, 0.3), S(2, 6, 0.6), S(3, 9, 0.9), S(4, 12, 1.2)], 4, new GraderDirectedText());
        Assert.Equal(1.0, paid.LengthRewardCorrelation(), 9);

        var same = Enumerable.Range(0, 4).Select(i => new MonitoredSample($"x{i}", "same", [1, 2, 3, 4, 5], i, new Dictionary<string, double>())).ToList();
        Assert.Equal(0.25, SampleSummary.Of(same, 4, new GraderDirectedText()).DistinctNgramRatio()!.Value, 9);
    }

    [Fact]
    public void Sub_grader_correlations_are_those_of_the_samples()
    {
        var s = SampleSummary.Of([S(1, 3, 1, a: 1, b: 0), S(2, 3, 0, a: 0, b: 1), S(3, 3, 1, a: 1, b: 0), S(4, 3, 0, a: 0, b: 1)], 4, new GraderDirectedText());
        Assert.Equal(1.0, s.Correlation("a", "reward")!.Value, 9);
        Assert.Equal(-1.0, s.Correlation("a", "b")!.Value, 9);
        Assert.Equal(-1.0, s.Correlation("b", "a")!.Value, 9);
    }
}
