using TorchSharp;
using static TorchSharp.torch;

namespace RftFunctions.Training.Grpo;

/// <summary>How per-token losses are aggregated into the batch loss (reference/grpo.md, step 6).</summary>
public enum LossAggregation
{
    /// <summary>Mean over each sequence's tokens, then mean over sequences (original GRPO; length-biased).</summary>
    Grpo,

    /// <summary>Sum over tokens / active tokens in the local batch.</summary>
    Bnpo,

    /// <summary>Sum / (sequences × max completion length): Dr. GRPO, no length bias.</summary>
    DrGrpo,

    /// <summary>Sum / active tokens in the whole accumulated batch (DAPO; TRL's default).</summary>
    Dapo,
}

/// <summary>Where the importance ratio is taken.</summary>
public enum ImportanceLevel
{
    /// <summary>One ratio per token (GRPO, DAPO).</summary>
    Token,

    /// <summary>One ratio per sequence, the geometric mean of its token ratios (GSPO).</summary>
    Sequence,
}

/// <summary>The knobs of the clipped policy-gradient objective.</summary>
public sealed record PolicyLossOptions
{
    /// <summary>Aggregation of token losses.</summary>
    public LossAggregation Aggregation { get; init; } = LossAggregation.Dapo;

    /// <summary>Token or sequence (GSPO) importance ratios.</summary>
    public ImportanceLevel Importance { get; init; } = ImportanceLevel.Token;

    /// <summary>Lower clip: the ratio is kept at or above 1 - this.</summary>
    public double ClipEpsilonLow { get; init; } = 0.2;

    /// <summary>Upper clip: the ratio is kept at or below 1 + this (DAPO's clip-higher uses 0.28).</summary>
    public double ClipEpsilonHigh { get; init; } = 0.2;

    /// <summary>KL penalty weight to the reference policy (k3 estimator); 0 needs no reference model.</summary>
    public double Beta { get; init; }

    /// <summary>The completion length budget; Dr. GRPO divides by it.</summary>
    public int MaxCompletionLength { get; init; } = 256;
}

/// <summary>The loss of one micro-batch and the statistics trainers log.</summary>
/// <param name="Loss">Scalar, differentiable.</param>
/// <param name="ClipRatioLow">Fraction of active tokens clipped below (ratio under 1 - eps with negative advantage).</param>
/// <param name="ClipRatioHigh">Fraction of active tokens clipped above (ratio over 1 + eps with positive advantage).</param>
/// <param name="MeanKl">Mean k3 KL to the reference over active tokens (0 without a reference).</param>
/// <param name="ActiveTokens">Tokens that counted.</param>
public sealed record PolicyLossResult(Tensor Loss, double ClipRatioLow, double ClipRatioHigh, double MeanKl, long ActiveTokens)
{
    /// <summary>Fraction of active tokens clipped either way.</summary>
    public double ClipRatioRegion => ClipRatioLow + ClipRatioHigh;
}

/// <summary>
/// The clipped surrogate objective of the GRPO family: per token
/// -min(r·A, clip(r, 1-ε_low, 1+ε_high)·A) + β·(exp(ref-new) - (ref-new) - 1), masked and aggregated.
/// </summary>
public static class PolicyLoss
{
    /// <summary>Computes the loss for one micro-batch.</summary>
    /// <param name="logProbs">[B, T] log-probs of the sampled tokens under the current policy (with gradient).</param>
    /// <param name="oldLogProbs">[B, T] log-probs under the policy that sampled them.</param>
    /// <param name="advantages">[B] one advantage per completion.</param>
    /// <param name="mask">[B, T] 1 for completion tokens that count, 0 for padding and masked-out completions.</param>
    /// <param name="options">The objective's knobs.</param>
    /// <param name="referenceLogProbs">[B, T] log-probs under the frozen reference, required when Beta &gt; 0.</param>
    /// <param name="accumulatedActiveTokens">For <see cref="LossAggregation.Dapo"/>: active tokens in the whole
    /// accumulated batch (all micro-batches of the optimizer step); null means this micro-batch's.</param>
    public static PolicyLossResult Compute(
        Tensor logProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask, PolicyLossOptions options,
        Tensor? referenceLogProbs = null, long? accumulatedActiveTokens = null)
    {
        if (options.Beta > 0 && referenceLogProbs is null)
            throw new ArgumentException("Beta > 0 needs the reference policy's log-probs", nameof(referenceLogProbs));
        var maskF = mask.to_type(logProbs.dtype);
        var tokensPerSequence = maskF.sum(1);
        long active = (long)maskF.sum().ToDouble();
        var logRatio = logProbs - oldLogProbs;
        Tensor ratio;
        if (options.Importance == ImportanceLevel.Sequence)
        {
            // GSPO: the geometric mean of the sequence's token ratios, the same for each of its tokens.
            var sequenceLogRatio = (logRatio * maskF).sum(1) / tokensPerSequence.clamp_min(1);
            ratio = sequenceLogRatio.exp().unsqueeze(1).expand_as(logProbs);
        }
        else
        {
            ratio = logRatio.exp();
        }
        var advantage = advantages.to_type(logProbs.dtype).unsqueeze(1);
        var unclipped = ratio * advantage;
        var clipped = ratio.clamp(1 - options.ClipEpsilonLow, 1 + options.ClipEpsilonHigh) * advantage;
        var perToken = -minimum(unclipped, clipped);

        double meanKl = 0;
        if (referenceLogProbs is not null && options.Beta > 0)
        {
            var delta = referenceLogProbs - logProbs;
            var kl = delta.exp() - delta - 1;
            perToken = perToken + options.Beta * kl;
            meanKl = active == 0 ? 0 : ((kl * maskF).sum() / active).ToDouble();
        }

        var masked = perToken * maskF;
        var loss = options.Aggregation switch
        {
            LossAggregation.Grpo => (masked.sum(1) / tokensPerSequence.clamp_min(1)).mean(),
            LossAggregation.Bnpo => masked.sum() / Math.Max(active, 1),
            LossAggregation.DrGrpo => masked.sum() / (logProbs.shape[0] * (double)options.MaxCompletionLength),
            LossAggregation.Dapo => masked.sum() / Math.Max(accumulatedActiveTokens ?? active, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Aggregation, "unknown loss aggregation"),
        };

        using (no_grad())
        {
            var low = (ratio < 1 - options.ClipEpsilonLow).logical_and(advantage < 0).to_type(logProbs.dtype);
            var high = (ratio > 1 + options.ClipEpsilonHigh).logical_and(advantage > 0).to_type(logProbs.dtype);
            double denominator = Math.Max(active, 1);
            return new PolicyLossResult(
                loss,
                (low * maskF).sum().ToDouble() / denominator,
                (high * maskF).sum().ToDouble() / denominator,
                meanKl,
                active);
        }
    }
}
