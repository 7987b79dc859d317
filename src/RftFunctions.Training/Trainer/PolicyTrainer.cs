using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Grpo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RftFunctions.Training.Trainer;

/// <summary>
/// The GRPO-family policy update: advantages from grouped rewards, the clipped objective over teacher-forced
/// log-probs, mini-batches (several optimiser steps per rollout batch) of exactly accumulated micro-batches,
/// grad-norm clipping, AdamW, and a NaN/Inf guard that skips a step and leaves weights and optimiser state untouched.
/// One trainer per job; its state (<see cref="SaveOptimizerState"/>) plus the policy weights make a resumable
/// checkpoint.
/// </summary>
/// <remarks>
/// The "old" policy of the ratio is the trainer's own log-probs of the policy before the update (TRL's
/// old_per_token_logps): with one pass and one mini-batch they are the first forward pass's log-probs, detached (so
/// the on-policy ratio is exactly 1); otherwise one no-grad pass over the batch computes them before the first
/// optimiser step. The sampler's log-probs are compared with them every step (the mismatch metrics) and, when the
/// cap is positive, corrected for by truncated importance sampling.
/// LoRA dropout: the trainer's passes run in train mode (adapter inputs dropped), the sampler's in eval mode. Taking
/// the first pass's own log-probs as "old" keeps the on-policy ratio at 1 anyway; later passes and mini-batches
/// compare two dropout draws, and the mismatch metric includes dropout noise. Dropout 0 (the default) is exact.
/// </remarks>
public sealed class PolicyTrainer : IDisposable
{
    private readonly DecoderModel _policy;
    private readonly DecoderModel? _reference;
    private readonly RftTrainingConfig _config;
    private readonly int _totalSteps;
    private readonly IReadOnlyList<Parameter> _trainable;
    private readonly AdamW _optimizer;

    /// <summary>Prepares the policy for training: LoRA adapters are attached (seeded) when the mode is LoRA and the
    /// model has none yet; the optimiser covers exactly the trainable parameters, with weight decay on those
    /// <see cref="WeightDecayPolicy"/> picks.</summary>
    /// <param name="policy">The model to train.</param>
    /// <param name="config">The job's knobs.</param>
    /// <param name="totalSteps">Steps in the job (for the LR schedule).</param>
    /// <param name="reference">The frozen reference policy, needed when Beta &gt; 0.</param>
    public PolicyTrainer(DecoderModel policy, RftTrainingConfig config, int totalSteps, DecoderModel? reference = null)
    {
        var problems = config.Validate();
        if (problems.Count > 0) throw new ArgumentException("invalid training config: " + string.Join("; ", problems), nameof(config));
        if (config.Beta > 0 && reference is null) throw new ArgumentException("Beta > 0 needs a reference policy", nameof(reference));
        _policy = policy;
        _reference = reference;
        _config = config;
        _totalSteps = totalSteps;
        if (config.Mode == FineTuningMode.Lora && !Lora.Adapters(policy).Any())
            Lora.Attach(policy, new LoraConfig(config.LoraRank, config.LoraAlpha, config.LoraDropout, config.LoraTargets.ToList()), config.Seed);
        if (config.Mode == FineTuningMode.Full)
            foreach (var p in policy.parameters()) p.requires_grad = true;
        _trainable = policy.TrainableParameters();

        // Names of the trainable parameters: the base model's by their Hugging Face names, adapters' as lora_A/B.
        var names = new Dictionary<Parameter, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in policy.named_parameters()) names.TryAdd(p, name);
        foreach (var (path, adapter) in Lora.Adapters(policy))
        {
            names[adapter.A] = path + ".lora_A.weight";
            names[adapter.B] = path + ".lora_B.weight";
        }
        var decayed = _trainable.Where(p => WeightDecayPolicy.Decays(names.GetValueOrDefault(p, ""))).ToList();
        var exempt = _trainable.Where(p => !WeightDecayPolicy.Decays(names.GetValueOrDefault(p, ""))).ToList();
        DecayedParameterNames = [.. decayed.Select(p => names.GetValueOrDefault(p, ""))];
        var groups = new List<AdamW.ParamGroup>();
        if (decayed.Count > 0) groups.Add(new AdamW.ParamGroup(decayed, config.LearningRate, config.Beta1, config.Beta2, 1e-8, config.WeightDecay));
        if (exempt.Count > 0) groups.Add(new AdamW.ParamGroup(exempt, config.LearningRate, config.Beta1, config.Beta2, 1e-8, 0));
        _optimizer = optim.AdamW(groups, config.LearningRate, config.Beta1, config.Beta2, 1e-8, config.WeightDecay);
    }

    /// <summary>The parameters the optimiser updates.</summary>
    public IReadOnlyList<Parameter> TrainableParameters => _trainable;

    /// <summary>The names of the trainable parameters that get weight decay (the rest get none).</summary>
    public IReadOnlyList<string> DecayedParameterNames { get; }

    /// <summary>Runs one policy update on a batch of graded rollouts (group after group).</summary>
    public PolicyUpdateMetrics Update(IReadOnlyList<RolloutSample> samples, int step) => UpdateCancellable(samples, step, CancellationToken.None);

    /// <summary>
    /// As <see cref="Update"/>, checking <paramref name="cancellationToken"/> before every micro-batch, so a cancelled
    /// job or a stopping host stops the update within one forward/backward pass (throws
    /// <see cref="OperationCanceledException"/>); the trainer is then mid-step and must be reloaded.
    /// </summary>
    public PolicyUpdateMetrics UpdateCancellable(IReadOnlyList<RolloutSample> samples, int step, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        foreach (var s in samples) s.Validate();
        int groupSize = _config.SamplesPerPrompt;
        var rewards = ShapedRewards(samples);
        var advantages = AdvantageEstimator.Compute(rewards, groupSize, _config.Baseline, _config.Scaling);
        double learningRate = _config.LearningRateAt(step, _totalSteps);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = learningRate;

        var counted = Counted(samples);
        long countedTokens = samples.Where((s, i) => counted[i]).Sum(s => (long)s.CompletionIds.Count);
        var miniBatches = Split(0, samples.Count, Math.Min(_config.MiniBatches, samples.Count));
        int optimizerSteps = _config.IterationsPerBatch * miniBatches.Count;

        _policy.train();
        var tally = new UpdateTally();
        string? skipReason = null;
        bool inject = _config.InjectNonFiniteLossAtSteps.Contains(step);
        // With several optimiser steps, a non-finite one after a good one must undo the good one too ("skip the
        // update" means the whole step): keep the weights and optimiser state from before the first.
        Tensor[]? snapshot = null;
        if (optimizerSteps > 1)
        {
            using var snapshotScope = NewDisposeScope();
            snapshot = [.. _trainable.Select(p => p.detach().clone().DetachFromDisposeScope())];
        }
        using var optimizerSnapshot = new MemoryStream();
        if (snapshot is not null) SaveOptimizerState(optimizerSnapshot);
        // The policy before the update, scored once when later optimiser steps would otherwise see a moved policy.
        var old = optimizerSteps > 1 ? ScoreOld(samples, counted, miniBatches) : null;
        bool stepped = false;
        try
        {
            for (int iteration = 0; iteration < _config.IterationsPerBatch && skipReason is null; iteration++)
            {
                foreach (var mini in miniBatches)
                {
                    ZeroGradients();
                    skipReason = Accumulate(samples, advantages.Advantages, counted, mini, old, iteration == 0, inject, tally, cancellationToken: cancellationToken);
                    if (skipReason is null)
                    {
                        using var scope = NewDisposeScope();
                        double norm = nn.utils.clip_grad_norm_(_trainable, _config.MaxGradNorm);
                        if (!double.IsFinite(norm)) skipReason = $"non-finite gradient norm ({norm})";
                        else
                        {
                            _optimizer.step();
                            stepped = true;
                            tally.GradNormSum += norm;
                            tally.OptimizerSteps++;
                        }
                    }
                    if (skipReason is not null)
                    {
                        ZeroGradients();
                        break;
                    }
                }
            }
        }
        finally
        {
            foreach (var t in old?.Values ?? Enumerable.Empty<Tensor>()) t.Dispose();
        }
        if (skipReason is not null && stepped && snapshot is not null)
        {
            using (no_grad())
            {
                for (int i = 0; i < snapshot.Length; i++) _trainable[i].copy_(snapshot[i]);
            }
            optimizerSnapshot.Position = 0;
            LoadOptimizerState(optimizerSnapshot);
        }
        foreach (var t in snapshot ?? []) t.Dispose();

        var lengths = samples.Select(s => s.CompletionIds.Count).ToArray();
        double mean = rewards.Average();
        return new PolicyUpdateMetrics
        {
            Step = step,
            RewardMean = mean,
            RewardStd = Math.Sqrt(rewards.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, rewards.Length - 1)),
            FractionZeroStdGroups = advantages.FractionZeroVariance,
            Loss = skipReason is null && tally.OptimizerSteps > 0 ? tally.LossSum / tally.OptimizerSteps : 0,
            LearningRate = learningRate,
            // Metrics travel as JSON, which has no NaN: a non-finite norm is in SkipReason instead.
            GradNorm = tally.OptimizerSteps > 0 ? tally.GradNormSum / tally.OptimizerSteps : 0,
            ClipRatioLow = tally.PerToken(tally.ClippedLow),
            ClipRatioHigh = tally.PerToken(tally.ClippedHigh),
            Kl = tally.PerToken(tally.KlSum),
            Entropy = tally.PerToken(tally.EntropySum),
            SamplerMismatchMean = tally.PerMismatchToken(tally.MismatchSum),
            SamplerMismatchMax = tally.MismatchMax,
            ImportanceWeightTruncatedFraction = tally.PerMismatchToken(tally.TruncatedWeightTokens),
            OptimizerSteps = tally.OptimizerSteps,
            CompletionLengthMean = lengths.Average(),
            CompletionLengthMin = lengths.Min(),
            CompletionLengthMax = lengths.Max(),
            TruncatedFraction = samples.Count(s => s.Truncated) / (double)samples.Count,
            Tokens = countedTokens,
            Skipped = skipReason is not null,
            SkipReason = skipReason,
        };
    }

    /// <summary>
    /// Forward and backward over the micro-batches of one mini-batch with the sampler's log-probs as the old policy,
    /// leaving the accumulated gradient on the parameters (no optimiser step). For the tests that pin accumulated
    /// against full-batch gradients.
    /// </summary>
    internal (double ClipRatioLow, double ClipRatioHigh, double Kl) AccumulateGradients(IReadOnlyList<RolloutSample> samples)
    {
        var advantages = AdvantageEstimator.Compute(ShapedRewards(samples), _config.SamplesPerPrompt, _config.Baseline, _config.Scaling);
        _policy.train();
        ZeroGradients();
        var tally = new UpdateTally();
        var reason = Accumulate(samples, advantages.Advantages, Counted(samples), (0, samples.Count), null, false, false, tally, samplerIsOld: true);
        if (reason is not null) throw new InvalidOperationException(reason);
        return (tally.PerToken(tally.ClippedLow), tally.PerToken(tally.ClippedHigh), tally.PerToken(tally.KlSum));
    }

    private double[] ShapedRewards(IReadOnlyList<RolloutSample> samples) => [.. samples.Select(s => _config.ShapedReward(s.Reward, s.CompletionIds.Count))];

    private bool[] Counted(IReadOnlyList<RolloutSample> samples) => [.. samples.Select(s => !(s.Truncated && _config.MaskTruncatedCompletions))];

    /// <summary>Accumulates one mini-batch's gradient; returns why the step must be skipped, or null.</summary>
    private string? Accumulate(IReadOnlyList<RolloutSample> samples, float[] advantages, bool[] counted, (int Start, int Count) mini,
        Dictionary<int, Tensor>? old, bool measureMismatch, bool inject, UpdateTally tally, bool samplerIsOld = false,
        CancellationToken cancellationToken = default)
    {
        // Every micro-batch divides by the mini-batch's sequences and tokens, so the sum of their gradients is the
        // mini-batch's gradient whatever the micro-batch sizes (10 samples in 3/3/3/1 weigh 3/10, 3/10, 3/10, 1/10).
        long miniTokens = 0;
        for (int i = mini.Start; i < mini.Start + mini.Count; i++) if (counted[i]) miniTokens += samples[i].CompletionIds.Count;
        var normaliser = new PolicyLossNormaliser(mini.Count, miniTokens);
        double lossSum = 0;
        foreach (var (start, count) in Split(mini.Start, mini.Count, Math.Min(_config.GradientAccumulationSteps, mini.Count)))
        {
            // A cancelled job or a stopping host stops the update within one forward/backward pass.
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = PaddedBatch.Build(samples, start, count, counted, _policy.Device);
            // The trainer divides logits by the sampling temperature exactly as the sampler did (TRL: logits /= temperature).
            using var scores = TokenScorer.Score(_policy, batch.InputIds, batch.AttentionMask, batch.CompletionMask, _config.Temperature);
            Tensor? referenceLogProbs = null;
            if (_reference is not null && _config.Beta > 0)
            {
                using var noGrad = no_grad();
                referenceLogProbs = TokenScorer.Score(_reference, batch.InputIds, batch.AttentionMask, batch.CompletionMask, _config.Temperature).LogProbs;
            }
            var oldLogProbs = samplerIsOld ? batch.OldLogProbs : old?[start] ?? scores.LogProbs.detach();
            var advantage = tensor(advantages.AsSpan(start, count).ToArray(), device: _policy.Device);
            var result = PolicyLoss.Compute(scores.LogProbs, oldLogProbs, advantage, batch.CompletionMask, _config.PolicyLossOptions, referenceLogProbs, normaliser,
                batch.OldLogProbs, _config.EntropyCoefficient > 0 ? scores.Entropy : null);
            var loss = inject ? result.Loss * float.NaN : result.Loss;
            double lossValue = loss.ToDouble();
            if (!double.IsFinite(lossValue)) return $"non-finite loss ({lossValue}) in micro-batch at sample {start}";
            loss.backward();
            lossSum += lossValue;
            tally.ClippedLow += result.ClippedLowTokens;
            tally.ClippedHigh += result.ClippedHighTokens;
            tally.KlSum += result.KlSum;
            tally.Tokens += result.ActiveTokens;
            if (measureMismatch)
            {
                // The sampler/trainer gap is a property of the batch, measured once (not once per pass).
                tally.MismatchSum += result.MismatchSum;
                tally.MismatchMax = Math.Max(tally.MismatchMax, result.MismatchMax);
                tally.MismatchTokens += result.ActiveTokens;
                tally.TruncatedWeightTokens += result.TruncatedWeightTokens;
            }
            using (no_grad())
            {
                tally.EntropySum += (scores.Entropy * batch.CompletionMask).sum().ToDouble();
            }
        }
        tally.LossSum += lossSum;
        return null;
    }

    /// <summary>The policy's log-probs before any optimiser step of this update, per micro-batch (keyed by its first
    /// sample), laid out as the training passes lay them out.</summary>
    private Dictionary<int, Tensor> ScoreOld(IReadOnlyList<RolloutSample> samples, bool[] counted, List<(int Start, int Count)> miniBatches)
    {
        var old = new Dictionary<int, Tensor>();
        using var noGrad = no_grad();
        foreach (var mini in miniBatches)
        {
            foreach (var (start, count) in Split(mini.Start, mini.Count, Math.Min(_config.GradientAccumulationSteps, mini.Count)))
            {
                using var scope = NewDisposeScope();
                var batch = PaddedBatch.Build(samples, start, count, counted, _policy.Device);
                using var scores = TokenScorer.Score(_policy, batch.InputIds, batch.AttentionMask, batch.CompletionMask, _config.Temperature);
                old[start] = scores.LogProbs.clone().DetachFromDisposeScope();
            }
        }
        return old;
    }

    private void ZeroGradients()
    {
        // zero_grad touches each parameter's gradient wrapper; a scope releases them (else one leaks per parameter).
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
    }

    /// <summary>Writes the optimiser state (moments, step counts, learning rates) for a resumable checkpoint.</summary>
    public void SaveOptimizerState(Stream destination)
    {
        using var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true);
        _optimizer.save_state_dict(writer);
    }

    /// <summary>Restores optimiser state written by <see cref="SaveOptimizerState"/> for the same trainable parameters.</summary>
    public void LoadOptimizerState(Stream source)
    {
        using var reader = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true);
        _optimizer.load_state_dict(reader);
    }

    /// <summary><paramref name="count"/> items from <paramref name="start"/> cut into <paramref name="parts"/> runs of
    /// near-equal size (sizes differ by at most one, larger first).</summary>
    internal static List<(int Start, int Count)> Split(int start, int count, int parts)
    {
        var runs = new List<(int, int)>(parts);
        int offset = start;
        for (int i = 0; i < parts; i++)
        {
            int size = (count / parts) + (i < count % parts ? 1 : 0);
            if (size == 0) continue;
            runs.Add((offset, size));
            offset += size;
        }
        return runs;
    }

    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();
}
