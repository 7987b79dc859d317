using TorchSharp;
using static TorchSharp.torch;

namespace RftFunctions.Training.Grpo;

/// <summary>How per-token losses are aggregated into the batch loss (reference/grpo.md, step 6; TRL's <c>loss_type</c>,
/// verl's <c>loss_agg_mode</c>). Every mode divides by a quantity of the whole optimiser batch (see
/// <see cref="PolicyLossNormaliser"/>), so gradient accumulation over micro-batches of any sizes gives exactly the
/// full-batch gradient.</summary>
public enum LossAggregation
{
    /// <summary>Mean over each sequence's tokens, then mean over sequences (Shao et al. 2024, eq. 3; verl
    /// "seq-mean-token-mean"; length-biased).</summary>
    Grpo,

    /// <summary>Sum over tokens / active tokens of the batch (TRL "bnpo"). TRL normalises by each device's local
    /// micro-batch; with exact accumulation in one process the local batch is the optimiser batch, so it equals
    /// <see cref="Dapo"/> here.</summary>
    Bnpo,

    /// <summary>Sum / (sequences × max completion length): Dr. GRPO (Liu et al. 2025, verl "seq-mean-token-sum-norm"),
    /// a constant normaliser, so no length bias.</summary>
    DrGrpo,

    /// <summary>Sum / active tokens in the whole optimiser batch (DAPO, Yu et al. 2025, eq. 12; verl "token-mean";
    /// TRL's default).</summary>
    Dapo,
}

/// <summary>Where the importance ratio is taken.</summary>
public enum ImportanceLevel
{
    /// <summary>One ratio per token (GRPO, DAPO).</summary>
    Token,

    /// <summary>One ratio per sequence, the geometric mean of its token ratios (GSPO, Zheng et al. 2025, eq. 7; TRL
    /// <c>importance_sampling_level="sequence"</c>).</summary>
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

    /// <summary>Two-sided clipping (TRL's <c>delta</c>, INTELLECT-2): the unclipped ratio is capped at this, so a
    /// negative advantage cannot push an already-unlikely token's loss without bound. 0 = off.</summary>
    public double ClipDelta { get; init; }

    /// <summary>KL penalty weight to the reference policy (k3 estimator); 0 needs no reference model.</summary>
    public double Beta { get; init; }

    /// <summary>Entropy bonus weight (verl's <c>entropy_coeff</c>): the loss is lowered by this × the aggregated
    /// entropy. 0 = off.</summary>
    public double EntropyCoefficient { get; init; }

    /// <summary>Truncated importance sampling cap (TRL's <c>vllm_importance_sampling_cap</c>; Yao et al. 2025, "Your
    /// efficient RL framework secretly brings you off-policy RL training"): each token's loss is weighted by
    /// min(exp(logp_trainer_old - logp_sampler), cap). 0 = off.</summary>
    public double ImportanceSamplingCap { get; init; }

    /// <summary>The completion length budget; Dr. GRPO divides by it.</summary>
    public int MaxCompletionLength { get; init; } = 256;
}

/// <summary>The quantities of the whole optimiser batch (all micro-batches accumulated into one optimiser step) that the
/// aggregations divide by.</summary>
/// <param name="Sequences">Completions in the optimiser batch (masked ones included: they count as sequences whose loss
/// is 0, as TRL's mean over the batch does).</param>
/// <param name="ActiveTokens">Completion tokens that count (mask = 1) in the optimiser batch.</param>
public sealed record PolicyLossNormaliser(long Sequences, long ActiveTokens);

/// <summary>The loss of one micro-batch and the sums trainers turn into token averages.</summary>
/// <param name="Loss">Scalar, differentiable; already divided by the optimiser batch's normaliser.</param>
/// <param name="ClippedLowTokens">Active tokens clipped below (ratio under 1 - eps with negative advantage).</param>
/// <param name="ClippedHighTokens">Active tokens clipped above (ratio over 1 + eps with positive advantage).</param>
/// <param name="KlSum">Sum of the k3 KL to the reference over active tokens (0 without a reference).</param>
/// <param name="ActiveTokens">Tokens that counted.</param>
/// <param name="MismatchSum">Sum over active tokens of |logp_sampler - logp_trainer_old| (0 without sampler log-probs).</param>
/// <param name="MismatchMax">Max of the same (0 without sampler log-probs).</param>
/// <param name="TruncatedWeightTokens">Active tokens whose importance-sampling weight hit the cap.</param>
public sealed record PolicyLossResult(Tensor Loss, double ClippedLowTokens, double ClippedHighTokens, double KlSum, long ActiveTokens,
    double MismatchSum = 0, double MismatchMax = 0, double TruncatedWeightTokens = 0)
{
    /// <summary>Fraction of this micro-batch's active tokens clipped below.</summary>
    public double ClipRatioLow => ClippedLowTokens / Math.Max(ActiveTokens, 1);

    /// <summary>Fraction of this micro-batch's active tokens clipped above.</summary>
    public double ClipRatioHigh => ClippedHighTokens / Math.Max(ActiveTokens, 1);

    /// <summary>Fraction of active tokens clipped either way.</summary>
    public double ClipRatioRegion => ClipRatioLow + ClipRatioHigh;

    /// <summary>Mean k3 KL over this micro-batch's active tokens.</summary>
    public double MeanKl => KlSum / Math.Max(ActiveTokens, 1);
}

/// <summary>
/// The clipped surrogate objective of the GRPO family: per token
/// -min(r·A, clip(r, 1-ε_low, 1+ε_high)·A) (PPO, Schulman et al. 2017, eq. 7; TRL GRPOTrainer._compute_loss; verl
/// core_algos.compute_policy_loss) + β·(exp(ref-new) - (ref-new) - 1) (k3, Schulman 2020 "Approximating KL"),
/// masked and aggregated.
/// </summary>
public static class PolicyLoss
{
    /// <summary>Log-ratios are clamped to ±this before exponentiating, as verl's compute_policy_loss does, so one
    /// stale or garbage log-prob cannot overflow exp().</summary>
    public const double LogRatioClamp = 20.0;

    /// <summary>Computes the loss for one micro-batch.</summary>
    /// <param name="logProbs">[B, T] log-probs of the sampled tokens under the current policy (with gradient).</param>
    /// <param name="oldLogProbs">[B, T] log-probs under the policy before this update (the trainer's, or the sampler's
    /// when no trainer pass was taken).</param>
    /// <param name="advantages">[B] one advantage per completion.</param>
    /// <param name="mask">[B, T] 1 for completion tokens that count, 0 for padding and masked-out completions.</param>
    /// <param name="options">The objective's knobs.</param>
    /// <param name="referenceLogProbs">[B, T] log-probs under the frozen reference, required when Beta &gt; 0.</param>
    /// <param name="batch">The optimiser batch this micro-batch belongs to; null means this micro-batch alone.</param>
    /// <param name="samplerLogProbs">[B, T] log-probs the sampler reported: measured against
    /// <paramref name="oldLogProbs"/> and, when <see cref="PolicyLossOptions.ImportanceSamplingCap"/> &gt; 0, used for
    /// truncated importance sampling.</param>
    /// <param name="entropy">[B, T] per-token entropy with gradient, required when EntropyCoefficient &gt; 0.</param>
    public static PolicyLossResult Compute(
        Tensor logProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask, PolicyLossOptions options,
        Tensor? referenceLogProbs = null, PolicyLossNormaliser? batch = null, Tensor? samplerLogProbs = null, Tensor? entropy = null)
    {
        if (options.Beta > 0 && referenceLogProbs is null)
            throw new ArgumentException("Beta > 0 needs the reference policy's log-probs", nameof(referenceLogProbs));
        if (options.EntropyCoefficient > 0 && entropy is null)
            throw new ArgumentException("an entropy bonus needs the per-token entropy", nameof(entropy));
        var maskF = mask.to_type(logProbs.dtype);
        var counts = maskF > 0;
        var tokensPerSequence = maskF.sum(1);
        long active = (long)maskF.sum().ToDouble();
        batch ??= new PolicyLossNormaliser(logProbs.shape[0], active);

        // Mask before exponentiating and clamp (verl: clamp(log_prob - old_log_prob, -20, 20)): a masked row's
        // log-probs (a truncated completion's, padding) never reach exp().
        var logRatio = where(counts, logProbs - oldLogProbs, zeros_like(logProbs)).clamp(-LogRatioClamp, LogRatioClamp);
        Tensor ratio;
        if (options.Importance == ImportanceLevel.Sequence)
        {
            // GSPO (Zheng et al. 2025, eq. 7; TRL importance_sampling_level="sequence"): the geometric mean of the
            // sequence's token ratios, the same for each of its tokens.
            var sequenceLogRatio = logRatio.sum(1) / tokensPerSequence.clamp_min(1);
            ratio = sequenceLogRatio.exp().unsqueeze(1).expand_as(logProbs);
        }
        else
        {
            ratio = logRatio.exp();
        }
        var advantage = advantages.to_type(logProbs.dtype).unsqueeze(1);
        // Two-sided clipping (TRL's delta; INTELLECT-2 report, 2025): the unclipped branch's ratio is capped at delta.
        var unclippedRatio = options.ClipDelta > 0 ? ratio.clamp_max(options.ClipDelta) : ratio;
        var unclipped = unclippedRatio * advantage;
        var clipped = ratio.clamp(1 - options.ClipEpsilonLow, 1 + options.ClipEpsilonHigh) * advantage;
        var perToken = -minimum(unclipped, clipped);

        double mismatchSum = 0, mismatchMax = 0, truncated = 0;
        if (samplerLogProbs is not null)
        {
            using (no_grad())
            {
                var gap = where(counts, (samplerLogProbs - oldLogProbs).abs(), zeros_like(logProbs));
                mismatchSum = gap.sum().ToDouble();
                mismatchMax = active == 0 ? 0 : gap.max().ToDouble();
            }
            if (options.ImportanceSamplingCap > 0)
            {
                // Truncated importance sampling (TRL importance_sampling_ratio = clamp(exp(old - sampling), max=cap)):
                // the sampler's distribution is corrected to the trainer's, with the weight capped to bound variance.
                Tensor weight;
                using (no_grad())
                {
                    var samplerLogRatio = where(counts, oldLogProbs - samplerLogProbs, zeros_like(logProbs)).clamp(-LogRatioClamp, LogRatioClamp);
                    weight = samplerLogRatio.exp().clamp_max(options.ImportanceSamplingCap);
                    truncated = ((samplerLogRatio.exp() >= options.ImportanceSamplingCap).to_type(logProbs.dtype) * maskF).sum().ToDouble();
                }
                perToken = perToken * weight.detach();
            }
        }

        double klSum = 0;
        if (referenceLogProbs is not null && options.Beta > 0)
        {
            var delta = where(counts, referenceLogProbs - logProbs, zeros_like(logProbs)).clamp(-LogRatioClamp, LogRatioClamp);
            var kl = delta.exp() - delta - 1;
            perToken = perToken + options.Beta * kl;
            klSum = (kl * maskF).sum().ToDouble();
        }

        var loss = Aggregate(perToken, maskF, tokensPerSequence, options, batch);
        if (options.EntropyCoefficient > 0)
        {
            // verl compute_policy_loss: policy_loss = pg_loss - entropy_coeff * agg_loss(entropy), same aggregation.
            loss = loss - options.EntropyCoefficient * Aggregate(entropy!, maskF, tokensPerSequence, options, batch);
        }

        using (no_grad())
        {
            // TRL counts clipping on the ratio before the delta cap: is_low_clipped = (r < 1 - eps_low) & (A < 0).
            var low = (ratio < 1 - options.ClipEpsilonLow).logical_and(advantage < 0).to_type(logProbs.dtype);
            var high = (ratio > 1 + options.ClipEpsilonHigh).logical_and(advantage > 0).to_type(logProbs.dtype);
            return new PolicyLossResult(
                loss,
                (low * maskF).sum().ToDouble(),
                (high * maskF).sum().ToDouble(),
                klSum,
                active,
                mismatchSum,
                mismatchMax,
                truncated);
        }
    }

    /// <summary>Masked token values [B, T] to this micro-batch's share of the optimiser batch's aggregate.</summary>
    private static Tensor Aggregate(Tensor perToken, Tensor maskF, Tensor tokensPerSequence, PolicyLossOptions options, PolicyLossNormaliser batch)
    {
        var masked = perToken * maskF;
        return options.Aggregation switch
        {
            // Mean of per-sequence means: this micro-batch's sequences' means, summed, over the batch's sequences.
            LossAggregation.Grpo => (masked.sum(1) / tokensPerSequence.clamp_min(1)).sum() / Math.Max(batch.Sequences, 1),
            LossAggregation.Bnpo or LossAggregation.Dapo => masked.sum() / Math.Max(batch.ActiveTokens, 1),
            // Dr. GRPO: a constant normaliser, the batch's sequences times the completion budget.
            LossAggregation.DrGrpo => masked.sum() / (Math.Max(batch.Sequences, 1) * (double)options.MaxCompletionLength),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Aggregation, "unknown loss aggregation"),
        };
    }
}
