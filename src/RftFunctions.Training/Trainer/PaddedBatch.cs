using static TorchSharp.torch;

namespace RftFunctions.Training.Trainer;

/// <summary>
/// Rollouts laid out for teacher-forced scoring: prompt + completion, right-padded to the longest, with the masks and
/// the sampler's log-probs at the completion positions.
/// </summary>
internal sealed record PaddedBatch(Tensor InputIds, Tensor AttentionMask, Tensor CompletionMask, Tensor OldLogProbs)
{
    public static PaddedBatch Build(IReadOnlyList<RolloutSample> samples, int start, int count, bool[] counted, Device device)
    {
        int length = 0;
        for (int i = start; i < start + count; i++)
            length = Math.Max(length, samples[i].PromptIds.Count + samples[i].CompletionIds.Count);
        var ids = new long[count * length];
        var attention = new long[count * length];
        var completion = new float[count * length];
        var old = new float[count * length];
        for (int row = 0; row < count; row++)
        {
            var s = samples[start + row];
            int offset = row * length, p = s.PromptIds.Count;
            for (int t = 0; t < p; t++)
            {
                ids[offset + t] = s.PromptIds[t];
                attention[offset + t] = 1;
            }
            for (int t = 0; t < s.CompletionIds.Count; t++)
            {
                ids[offset + p + t] = s.CompletionIds[t];
                attention[offset + p + t] = 1;
                completion[offset + p + t] = counted[start + row] ? 1 : 0;
                old[offset + p + t] = s.OldLogProbs[t];
            }
        }
        return new PaddedBatch(
            tensor(ids, [count, length], device: device),
            tensor(attention, [count, length], device: device),
            tensor(completion, [count, length], device: device),
            tensor(old, [count, length], device: device));
    }
}
