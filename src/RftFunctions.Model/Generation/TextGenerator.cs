using static TorchSharp.torch;

namespace RftFunctions.Model;

/// <summary>
/// Batched sampling from the policy. Every (request, sample) pair is one row; prompts of different lengths are left
/// padded and each row's positions count from its own first real token, so padding changes nothing but the mask.
/// With the KV cache each step feeds one token per row; without it (kept for tests and the benchmark) each step
/// re-runs the whole sequence. Randomness comes from a per-row stream derived from the request's seed and sample
/// index, so a row's tokens do not depend on what else is in the batch.
/// </summary>
public sealed class TextGenerator(DecoderModel model, ITextTokenizer tokenizer)
{
    /// <summary>Generates every sample of <paramref name="requests"/> in one batch.</summary>
    /// <param name="requests">Prompts and their sampling parameters.</param>
    /// <param name="onToken">Called for every sampled token as it is produced (streaming).</param>
    /// <param name="useKvCache">False re-runs the full sequence per token (slow; for equivalence checks).</param>
    public IReadOnlyList<GeneratedSample> Generate(IReadOnlyList<GenerationRequest> requests, Action<SampledToken>? onToken = null, bool useKvCache = true) =>
        GenerateCancellable(requests, CancellationToken.None, onToken, useKvCache);

    /// <summary>
    /// As <see cref="Generate"/>, checking <paramref name="cancellationToken"/> before every token step, so a cancelled
    /// job, a stopping host or a client that went away stops the generation within one forward pass (throws
    /// <see cref="OperationCanceledException"/>). A separate name, not an overload, keeps the plain calls plain.
    /// </summary>
    public IReadOnlyList<GeneratedSample> GenerateCancellable(IReadOnlyList<GenerationRequest> requests, CancellationToken cancellationToken,
        Action<SampledToken>? onToken = null, bool useKvCache = true)
    {
        var rows = BuildRows(requests);
        if (rows.Count == 0) return [];
        var promptLength = rows.Max(r => r.Prompt.Count);
        var maxNew = rows.Max(r => r.Parameters.MaxTokens);
        maxNew = (int)Math.Min(maxNew, Math.Max(1, model.Config.MaxPositionEmbeddings - promptLength));

        using var noGrad = no_grad();
        // Sampling is inference: LoRA dropout off. The caller's mode is restored afterwards.
        var wasTraining = model.training;
        model.eval();
        try
        {
            return Run(rows, promptLength, maxNew, onToken, useKvCache, cancellationToken);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    private IReadOnlyList<GeneratedSample> Run(List<Row> rows, int promptLength, int maxNew, Action<SampledToken>? onToken, bool useKvCache,
        CancellationToken cancellationToken)
    {
        var capacity = promptLength + maxNew;
        var device = model.Device;
        var n = rows.Count;
        using var state = new BatchState(rows, promptLength, capacity, tokenizer.PadTokenId, device);
        using var cache = useKvCache ? model.NewKvCache(n, capacity) : null;
        using var sampler = new RowSampler([.. rows.Select(r => (r.Parameters, r.SampleIndex))], device);

        for (var step = 0; step < maxNew && rows.Any(r => !r.Finished); step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var length = promptLength + step;
            Tensor hidden;
            if (cache is null) hidden = model.Forward(state.Ids.narrow(1, 0, length), state.Mask.narrow(1, 0, length));
            else if (step == 0) hidden = model.Forward(state.Ids.narrow(1, 0, length), state.Mask.narrow(1, 0, length), cache: cache);
            else hidden = model.Forward(state.Ids.narrow(1, length - 1, 1), state.Mask.narrow(1, 0, length), cache: cache);

            var logits = model.Logits(hidden.select(1, -1)).to(ScalarType.Float32);
            var (tokens, logProbs) = sampler.Sample(logits);
            for (var i = 0; i < n; i++)
            {
                var row = rows[i];
                if (row.Finished) continue;
                row.Append(tokens[i], logProbs[i], tokenizer);
                onToken?.Invoke(new SampledToken(row.RequestIndex, row.SampleIndex, tokens[i], logProbs[i]));
                if (row.Generated.Count >= row.Parameters.MaxTokens || length + 1 >= capacity) row.Finish(FinishReason.Length);
            }
            state.Write(length, [.. tokens.Select(t => (long)t)]);
        }
        foreach (var row in rows.Where(r => !r.Finished)) row.Finish(FinishReason.Length);
        return [.. rows.Select(r => r.ToSample(tokenizer))];
    }

    private List<Row> BuildRows(IReadOnlyList<GenerationRequest> requests)
    {
        var rows = new List<Row>();
        for (var r = 0; r < requests.Count; r++)
        {
            var request = requests[r];
            request.Parameters.Validate();
            if (request.PromptIds.Count == 0) throw new ArgumentException($"request {r}: the prompt is empty");
            if (request.PromptIds.Any(id => id < 0 || id >= model.Config.VocabSize))
                throw new ArgumentException($"request {r}: token id outside the vocabulary (0..{model.Config.VocabSize - 1})");
            for (var s = 0; s < request.Parameters.N; s++) rows.Add(new Row(r, s, request.PromptIds, request.Parameters, tokenizer.EosTokenIds));
        }
        return rows;
    }

    /// <summary>Token ids and attention mask of the whole batch, preallocated to the final length.</summary>
    private sealed class BatchState : IDisposable
    {
        public BatchState(List<Row> rows, int promptLength, int capacity, int pad, Device device)
        {
            var ids = new long[rows.Count * capacity];
            var mask = new long[rows.Count * capacity];
            Array.Fill(ids, pad);
            for (var i = 0; i < rows.Count; i++)
            {
                var prompt = rows[i].Prompt;
                var offset = i * capacity + promptLength - prompt.Count;
                for (var j = 0; j < prompt.Count; j++)
                {
                    ids[offset + j] = prompt[j];
                    mask[offset + j] = 1;
                }
            }
            Ids = tensor(ids, [rows.Count, capacity], device: device).DetachFromDisposeScope();
            Mask = tensor(mask, [rows.Count, capacity], device: device).DetachFromDisposeScope();
        }

        public Tensor Ids { get; }

        public Tensor Mask { get; }

        public void Write(int column, long[] tokens)
        {
            using var values = tensor(tokens, device: Ids.device);
            Ids.select(1, column).copy_(values);
            Mask.select(1, column).fill_(1);
        }

        public void Dispose()
        {
            Ids.Dispose();
            Mask.Dispose();
        }
    }

    /// <summary>One sample being generated.</summary>
    private sealed class Row(int requestIndex, int sampleIndex, IReadOnlyList<int> prompt, SamplingParameters parameters, IReadOnlyList<int> eos)
    {
        private string? _stopText;

        public int RequestIndex => requestIndex;

        public int SampleIndex => sampleIndex;

        public IReadOnlyList<int> Prompt => prompt;

        public SamplingParameters Parameters => parameters;

        public List<int> Generated { get; } = [];

        public List<float> LogProbs { get; } = [];

        public FinishReason? Reason { get; private set; }

        public bool Finished => Reason is not null;

        public void Append(int token, float logProb, ITextTokenizer tokenizer)
        {
            Generated.Add(token);
            LogProbs.Add(logProb);
            if (parameters.StopAtEos && eos.Contains(token))
            {
                Finish(FinishReason.Stop);
                return;
            }
            if (parameters.Stop.Count == 0) return;
            var text = tokenizer.Decode(Generated);
            var cut = parameters.Stop.Select(s => text.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(-1).Min();
            if (cut >= 0)
            {
                _stopText = text[..cut];
                Finish(FinishReason.Stop);
            }
        }

        public void Finish(FinishReason reason) => Reason ??= reason;

        public GeneratedSample ToSample(ITextTokenizer tokenizer)
        {
            var text = _stopText ?? tokenizer.Decode(Generated.Count > 0 && Reason == FinishReason.Stop && eos.Contains(Generated[^1]) ? Generated[..^1] : Generated);
            return new GeneratedSample(requestIndex, sampleIndex, [.. Generated], [.. LogProbs], text, Reason ?? FinishReason.Length);
        }
    }
}
