namespace RftFunctions.Training.Trainer;

/// <summary>
/// One graded completion, as the policy update needs it. Samples of one prompt form a group and arrive
/// consecutively (group after group, <c>SamplesPerPrompt</c> each).
/// </summary>
/// <param name="PromptIds">The rendered prompt's token ids.</param>
/// <param name="CompletionIds">The sampled completion's token ids.</param>
/// <param name="OldLogProbs">Per completion token, the log-prob under the policy that sampled it.</param>
/// <param name="Reward">The grader's reward.</param>
/// <param name="Truncated">True when the completion hit the token budget instead of finishing.</param>
public sealed record RolloutSample(IReadOnlyList<int> PromptIds, IReadOnlyList<int> CompletionIds, IReadOnlyList<float> OldLogProbs, double Reward, bool Truncated)
{
    /// <summary>Checks that the log-probs line up with the completion.</summary>
    public void Validate()
    {
        if (PromptIds.Count == 0) throw new ArgumentException("a rollout sample needs a prompt");
        if (OldLogProbs.Count != CompletionIds.Count)
            throw new ArgumentException($"{OldLogProbs.Count} log-probs for {CompletionIds.Count} completion tokens");
    }
}
