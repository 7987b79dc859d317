using RftFunctions.Training.Grpo;
using Xunit;
using static TorchSharp.torch;

namespace RftFunctions.Training.Tests;

/// <summary>The objective's edges: clipping above 1 + ε_high, masked rows, Dr. GRPO's constant normaliser, two-sided
/// clipping, truncated importance sampling and the entropy bonus.</summary>
public sealed class PolicyObjectiveTests
{
    [Fact]
    public void A_ratio_above_one_plus_epsilon_high_is_clipped_counted_and_gets_no_gradient()
    {
        using var scope = NewDisposeScope();
        // Two tokens, ratio e^0.4 = 1.49 > 1.28 with A = 2 > 0; one token at ratio 1.
        var logp = tensor(new double[,] { { -0.6, -0.6, -1.0 } }, dtype: float64, requires_grad: true);
        var old = tensor(new double[,] { { -1.0, -1.0, -1.0 } }, dtype: float64);
        var mask = ones(1, 3, dtype: float64);

        var result = PolicyLoss.Compute(logp, old, tensor(new[] { 2.0 }, dtype: float64), mask, new PolicyLossOptions { ClipEpsilonHigh = 0.28 });
        result.Loss.backward();

        Assert.Equal(-(2 * 1.28 * 2 + 2 * 1.0) / 3, result.Loss.item<double>(), 10);
        Assert.Equal(2, result.ClippedHighTokens);
        Assert.Equal(2.0 / 3, result.ClipRatioHigh, 10);
        Assert.Equal(0, result.ClippedLowTokens);
        var grad = logp.grad!.data<double>().ToArray();
        Assert.Equal(0, grad[0]);
        Assert.Equal(0, grad[1]);
        Assert.Equal(-2.0 / 3, grad[2], 10);
    }

    [Fact]
    public void Masked_rows_never_reach_exp_and_huge_log_ratios_are_clamped()
    {
        using var scope = NewDisposeScope();
        // Row 1 is a masked (truncated) completion whose stored log-probs are garbage: exp(new - old) would be inf and
        // inf * 0 is NaN. Row 0's first token has a log-ratio of 50, clamped to 20 (verl) before exp.
        var logp = tensor(new double[,] { { -0.5, -1.0 }, { -1.0, -1.0 } }, dtype: float64, requires_grad: true);
        var old = tensor(new double[,] { { -50.5, -1.0 }, { -1e6, -1e6 } }, dtype: float64);
        var mask = tensor(new double[,] { { 1, 1 }, { 0, 0 } }, dtype: float64);

        var result = PolicyLoss.Compute(logp, old, tensor(new[] { -1.0, 1.0 }, dtype: float64), mask, new PolicyLossOptions(),
            samplerLogProbs: old, batch: new PolicyLossNormaliser(2, 2));
        result.Loss.backward();

        Assert.True(double.IsFinite(result.Loss.item<double>()));
        // A < 0, ratio e^20 > 1 - ε: min picks r·A, so the first token's loss is e^20 (clamped, finite).
        Assert.Equal((Math.Exp(20) + 1.0) / 2, result.Loss.item<double>(), 3);
        Assert.All(logp.grad!.data<double>().ToArray(), g => Assert.True(double.IsFinite(g)));
        Assert.Equal(0, logp.grad!.data<double>()[2]);
        Assert.Equal(0, logp.grad!.data<double>()[3]);
    }

    [Fact]
    public void Dr_grpo_divides_by_a_constant_whatever_the_completion_lengths()
    {
        using var scope = NewDisposeScope();
        // On-policy (ratio 1) the per-token gradient is -A / (sequences × L_max), the same for a short and a long
        // completion: no length bias. (grpo would give -A / length.)
        var logp = tensor(new double[,] { { -1, -1, -1, -1 }, { -1, 0, 0, 0 } }, dtype: float64, requires_grad: true);
        var mask = tensor(new double[,] { { 1, 1, 1, 1 }, { 1, 0, 0, 0 } }, dtype: float64);
        var options = new PolicyLossOptions { Aggregation = LossAggregation.DrGrpo, MaxCompletionLength = 8 };

        var result = PolicyLoss.Compute(logp, logp.detach(), tensor(new[] { 1.0, 1.0 }, dtype: float64), mask, options, batch: new PolicyLossNormaliser(5, 99));
        result.Loss.backward();

        var grad = logp.grad!.data<double>().ToArray();
        Assert.Equal(-1.0 / (5 * 8), grad[0], 12);
        Assert.Equal(-1.0 / (5 * 8), grad[4], 12);
        Assert.Equal(-5.0 / 40, result.Loss.item<double>(), 12);
    }

    [Fact]
    public void Two_sided_clipping_caps_the_ratio_of_a_negative_advantage_at_delta()
    {
        using var scope = NewDisposeScope();
        var logp = tensor(new double[,] { { Math.Log(5) } }, dtype: float64);
        var old = zeros(1, 1, dtype: float64);
        var mask = ones(1, 1, dtype: float64);
        var advantage = tensor(new[] { -1.0 }, dtype: float64);

        double plain = PolicyLoss.Compute(logp, old, advantage, mask, new PolicyLossOptions()).Loss.item<double>();
        double capped = PolicyLoss.Compute(logp, old, advantage, mask, new PolicyLossOptions { ClipDelta = 4 }).Loss.item<double>();

        Assert.Equal(5, plain, 10);
        Assert.Equal(4, capped, 10);
    }

    [Fact]
    public void Truncated_importance_sampling_weights_tokens_by_the_capped_trainer_over_sampler_ratio()
    {
        using var scope = NewDisposeScope();
        // Token 0: the trainer finds it 3x likelier than the sampler did: weight min(3, 2) = 2 (truncated). Token 1:
        // half as likely: weight 0.5. On-policy for the trainer (new == old), so the PPO term is -A per token.
        var logp = tensor(new double[,] { { -1.0, -1.0 } }, dtype: float64, requires_grad: true);
        var sampler = tensor(new double[,] { { -1.0 - Math.Log(3), -1.0 + Math.Log(2) } }, dtype: float64);
        var mask = ones(1, 2, dtype: float64);

        var result = PolicyLoss.Compute(logp, logp.detach(), tensor(new[] { 1.0 }, dtype: float64), mask,
            new PolicyLossOptions { ImportanceSamplingCap = 2 }, samplerLogProbs: sampler);

        Assert.Equal(-(2 + 0.5) / 2, result.Loss.item<double>(), 10);
        Assert.Equal(1, result.TruncatedWeightTokens);
        Assert.Equal((Math.Log(3) + Math.Log(2)) / 2, result.MismatchSum / 2, 10);
        Assert.Equal(Math.Log(3), result.MismatchMax, 10);
    }

    [Fact]
    public void The_entropy_bonus_lowers_the_loss_by_the_aggregated_entropy()
    {
        using var scope = NewDisposeScope();
        var logp = tensor(new double[,] { { -1.0, -1.0 } }, dtype: float64);
        var entropy = tensor(new double[,] { { 0.5, 1.5 } }, dtype: float64, requires_grad: true);
        var mask = ones(1, 2, dtype: float64);

        var result = PolicyLoss.Compute(logp, logp, tensor(new[] { 0.0 }, dtype: float64), mask,
            new PolicyLossOptions { EntropyCoefficient = 0.1 }, entropy: entropy);
        result.Loss.backward();

        Assert.Equal(-0.1 * 1.0, result.Loss.item<double>(), 10);
        Assert.All(entropy.grad!.data<double>().ToArray(), g => Assert.Equal(-0.05, g, 10));
    }
}
