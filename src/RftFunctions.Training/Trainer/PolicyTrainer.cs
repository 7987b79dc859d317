using RftFunctions.Model;
using RftFunctions.Training.Config;
using RftFunctions.Training.Grpo;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RftFunctions.Training.Trainer;

/// <summary>
/// The GRPO-family policy update: advantages from grouped rewards, the clipped objective over teacher-forced
/// log-probs, gradient accumulation, grad-norm clipping, AdamW, and a NaN/Inf guard that skips a step and leaves
/// weights and optimiser state untouched. One trainer per job; its state (<see cref="SaveOptimizerState"/>) plus the
/// policy weights make a resumable checkpoint.
/// </summary>
public sealed class PolicyTrainer : IDisposable
{
    private readonly DecoderModel _policy;
    private readonly DecoderModel? _reference;
    private readonly RftTrainingConfig _config;
    private readonly int _totalSteps;
    private readonly IReadOnlyList<Parameter> _trainable;
    private readonly AdamW _optimizer;

    /// <summary>Prepares the policy for training: LoRA adapters are attached (seeded) when the mode is LoRA and the
    /// model has none yet; the optimiser covers exactly the trainable parameters.</summary>
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
        _optimizer = optim.AdamW(_trainable, config.LearningRate, config.Beta1, config.Beta2, 1e-8, config.WeightDecay);
    }

    /// <summary>The parameters the optimiser updates.</summary>
    public IReadOnlyList<Parameter> TrainableParameters => _trainable;

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
        var rewards = samples.Select(s => s.Reward).ToArray();
        var advantages = AdvantageEstimator.Compute(rewards, groupSize, _config.Baseline, _config.Scaling);
        double learningRate = _config.LearningRateAt(step, _totalSteps);
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = learningRate;

        var counted = samples.Select(s => !(s.Truncated && _config.MaskTruncatedCompletions)).ToArray();
        long accumulatedTokens = samples.Where((s, i) => counted[i]).Sum(s => (long)s.CompletionIds.Count);
        var microBatches = MicroBatches(samples.Count, _config.GradientAccumulationSteps);

        _policy.train();
        double lossSum = 0, clipLow = 0, clipHigh = 0, kl = 0, entropy = 0, gradNorm = 0;
        string? skipReason = null;
        bool inject = _config.InjectNonFiniteLossAtSteps.Contains(step);
        // With several passes, a non-finite pass after a good one must undo the good one too ("skip the update" means
        // the whole step): keep the weights and optimiser state from before the first pass.
        Tensor[]? snapshot = null;
        if (_config.IterationsPerBatch > 1)
        {
            using var snapshotScope = NewDisposeScope();
            snapshot = [.. _trainable.Select(p => p.detach().clone().DetachFromDisposeScope())];
        }
        using var optimizerSnapshot = new MemoryStream();
        if (snapshot is not null) SaveOptimizerState(optimizerSnapshot);
        bool stepped = false;
        for (int iteration = 0; iteration < _config.IterationsPerBatch && skipReason is null; iteration++)
        {
            ZeroGradients();
            foreach (var (start, count) in microBatches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var batch = PaddedBatch.Build(samples, start, count, counted, _policy.Device);
                using var scores = TokenScorer.Score(_policy, batch.InputIds, batch.AttentionMask, batch.CompletionMask, _config.Temperature);
                Tensor? referenceLogProbs = null;
                if (_reference is not null && _config.Beta > 0)
                {
                    using var noGrad = no_grad();
                    referenceLogProbs = TokenScorer.Score(_reference, batch.InputIds, batch.AttentionMask, batch.CompletionMask, _config.Temperature).LogProbs;
                }
                var advantage = tensor(advantages.Advantages.AsSpan(start, count).ToArray(), device: _policy.Device);
                var result = PolicyLoss.Compute(scores.LogProbs, batch.OldLogProbs, advantage, batch.CompletionMask, _config.PolicyLossOptions, referenceLogProbs, accumulatedTokens);
                // DAPO already divides by the whole accumulated batch's tokens; the others average per micro-batch.
                var loss = _config.LossAggregation == LossAggregation.Dapo ? result.Loss : result.Loss / microBatches.Count;
                if (inject) loss = loss * float.NaN;
                double lossValue = loss.ToDouble();
                if (!double.IsFinite(lossValue))
                {
                    skipReason = $"non-finite loss ({lossValue}) in micro-batch at sample {start}";
                    break;
                }
                loss.backward();
                double share = (double)count / samples.Count;
                lossSum += lossValue;
                clipLow += result.ClipRatioLow * share;
                clipHigh += result.ClipRatioHigh * share;
                kl += result.MeanKl * share;
                using (no_grad())
                {
                    var tokens = batch.CompletionMask.sum().ToDouble();
                    entropy += tokens == 0 ? 0 : (scores.Entropy * batch.CompletionMask).sum().ToDouble() / Math.Max(accumulatedTokens, 1);
                }
            }
            if (skipReason is null)
            {
                using var scope = NewDisposeScope();
                gradNorm = nn.utils.clip_grad_norm_(_trainable, _config.MaxGradNorm);
                if (!double.IsFinite(gradNorm)) skipReason = $"non-finite gradient norm ({gradNorm})";
                else
                {
                    _optimizer.step();
                    stepped = true;
                }
            }
            if (skipReason is not null) ZeroGradients();
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
            Loss = skipReason is null ? lossSum / _config.IterationsPerBatch : 0,
            LearningRate = learningRate,
            // Metrics travel as JSON, which has no NaN: a non-finite norm is in SkipReason instead.
            GradNorm = double.IsFinite(gradNorm) ? gradNorm : 0,
            ClipRatioLow = clipLow / _config.IterationsPerBatch,
            ClipRatioHigh = clipHigh / _config.IterationsPerBatch,
            Kl = kl / _config.IterationsPerBatch,
            Entropy = entropy / _config.IterationsPerBatch,
            CompletionLengthMean = lengths.Average(),
            CompletionLengthMin = lengths.Min(),
            CompletionLengthMax = lengths.Max(),
            TruncatedFraction = samples.Count(s => s.Truncated) / (double)samples.Count,
            Tokens = accumulatedTokens,
            Skipped = skipReason is not null,
            SkipReason = skipReason,
        };
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

    private static List<(int Start, int Count)> MicroBatches(int samples, int accumulationSteps)
    {
        int size = (samples + accumulationSteps - 1) / accumulationSteps;
        var batches = new List<(int, int)>();
        for (int start = 0; start < samples; start += size) batches.Add((start, Math.Min(size, samples - start)));
        return batches;
    }

    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();
}
