using RftFunctions.Training.Grpo;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Training.Tests;

public sealed class PolicyLossTests
{
    // Two completions, three token slots; the second completion has two real tokens.
    private static readonly double[,] NewLogp = { { -1.0, -0.5, -2.0 }, { -0.2, -1.5, 0.0 } };
    private static readonly double[,] OldLogp = { { -1.1, -0.1, -2.0 }, { -0.2, -1.0, 0.0 } };
    private static readonly double[,] Mask = { { 1, 1, 1 }, { 1, 1, 0 } };
    private static readonly double[] Advantage = [1.0, -2.0];

    private static double TokenLoss(int b, int t, double eLow = 0.2, double eHigh = 0.2)
    {
        double r = Math.Exp(NewLogp[b, t] - OldLogp[b, t]), a = Advantage[b];
        return -Math.Min(r * a, Math.Clamp(r, 1 - eLow, 1 + eHigh) * a);
    }

    private static PolicyLossResult Run(PolicyLossOptions options, Tensor? reference = null, long? accumulated = null)
    {
        var logp = tensor(NewLogp, dtype: float64);
        var batch = accumulated is { } tokens ? new PolicyLossNormaliser(2, tokens) : null;
        return PolicyLoss.Compute(logp, tensor(OldLogp, dtype: float64), tensor(Advantage, dtype: float64), tensor(Mask, dtype: float64), options, reference, batch);
    }

    [Fact]
    public void Grpo_averages_each_sequence_then_the_sequences()
    {
        using var scope = NewDisposeScope();
        double seq0 = (TokenLoss(0, 0) + TokenLoss(0, 1) + TokenLoss(0, 2)) / 3, seq1 = (TokenLoss(1, 0) + TokenLoss(1, 1)) / 2;

        var result = Run(new PolicyLossOptions { Aggregation = LossAggregation.Grpo });

        Assert.Equal((seq0 + seq1) / 2, result.Loss.item<double>(), 10);
        Assert.Equal(5, result.ActiveTokens);
    }

    [Fact]
    public void Bnpo_dr_grpo_and_dapo_divide_the_token_sum_differently()
    {
        using var scope = NewDisposeScope();
        double sum = TokenLoss(0, 0) + TokenLoss(0, 1) + TokenLoss(0, 2) + TokenLoss(1, 0) + TokenLoss(1, 1);

        Assert.Equal(sum / 5, Run(new PolicyLossOptions { Aggregation = LossAggregation.Bnpo }).Loss.item<double>(), 10);
        Assert.Equal(sum / (2 * 4), Run(new PolicyLossOptions { Aggregation = LossAggregation.DrGrpo, MaxCompletionLength = 4 }).Loss.item<double>(), 10);
        Assert.Equal(sum / 20, Run(new PolicyLossOptions { Aggregation = LossAggregation.Dapo }, accumulated: 20).Loss.item<double>(), 10);
    }

    [Fact]
    public void Clip_higher_changes_only_the_upper_bound_and_clip_ratios_are_counted()
    {
        using var scope = NewDisposeScope();
        // Token (0,1): ratio e^-0.4 = 0.67 with A > 0: below 1 - eps but unclipped (min picks r·A). Token (1,1): ratio
        // e^-0.5 = 0.61 with A < 0: clipped low.
        var result = Run(new PolicyLossOptions { Aggregation = LossAggregation.Bnpo, ClipEpsilonHigh = 0.28 });

        double sum = TokenLoss(0, 0, 0.2, 0.28) + TokenLoss(0, 1, 0.2, 0.28) + TokenLoss(0, 2, 0.2, 0.28) + TokenLoss(1, 0, 0.2, 0.28) + TokenLoss(1, 1, 0.2, 0.28);
        Assert.Equal(sum / 5, result.Loss.item<double>(), 10);
        Assert.Equal(1.0 / 5, result.ClipRatioLow, 10);
        Assert.Equal(0, result.ClipRatioHigh, 10);
    }

    [Fact]
    public void Gspo_uses_one_geometric_mean_ratio_per_sequence()
    {
        using var scope = NewDisposeScope();
        double r0 = Math.Exp(((-1.0 + 1.1) + (-0.5 + 0.1) + 0) / 3), r1 = Math.Exp((0 + (-1.5 + 1.0)) / 2);
        double l0 = -Math.Min(r0 * 1.0, Math.Clamp(r0, 0.8, 1.2) * 1.0), l1 = -Math.Min(r1 * -2.0, Math.Clamp(r1, 0.8, 1.2) * -2.0);

        var result = Run(new PolicyLossOptions { Aggregation = LossAggregation.Bnpo, Importance = ImportanceLevel.Sequence });

        Assert.Equal((3 * l0 + 2 * l1) / 5, result.Loss.item<double>(), 10);
    }

    [Fact]
    public void Kl_penalty_adds_beta_times_k3_and_is_reported()
    {
        using var scope = NewDisposeScope();
        var reference = tensor(new double[,] { { -1.0, -0.7, -2.0 }, { -0.4, -1.5, 0.0 } }, dtype: float64);
        double k3(double refLp, double newLp) => Math.Exp(refLp - newLp) - (refLp - newLp) - 1;
        double kl = k3(-0.7, -0.5) + k3(-0.4, -0.2); // the other active tokens have ref == new
        double sum = TokenLoss(0, 0) + TokenLoss(0, 1) + TokenLoss(0, 2) + TokenLoss(1, 0) + TokenLoss(1, 1);

        var result = Run(new PolicyLossOptions { Aggregation = LossAggregation.Bnpo, Beta = 0.1 }, reference);

        Assert.Equal((sum + 0.1 * kl) / 5, result.Loss.item<double>(), 10);
        Assert.Equal(kl / 5, result.MeanKl, 6);
    }

    [Fact]
    public void On_policy_gradient_is_minus_advantage_per_token_over_the_normaliser()
    {
        using var scope = NewDisposeScope();
        // With old == new the ratio is 1, so d loss / d logp = -A / active tokens for every active token (Bnpo).
        var logp = tensor(OldLogp, dtype: float64, requires_grad: true);
        var result = PolicyLoss.Compute(logp, tensor(OldLogp, dtype: float64), tensor(Advantage, dtype: float64), tensor(Mask, dtype: float64), new PolicyLossOptions { Aggregation = LossAggregation.Bnpo });
        result.Loss.backward();

        var grad = logp.grad!.data<double>().ToArray();
        Assert.Equal([-0.2, -0.2, -0.2, 0.4, 0.4, 0.0], grad.Select(g => Math.Round(g, 12)));
    }

    [Fact]
    public void A_positive_beta_without_reference_is_an_error()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => Run(new PolicyLossOptions { Beta = 0.04 }));
    }
}
