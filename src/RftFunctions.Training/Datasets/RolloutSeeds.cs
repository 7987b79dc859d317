namespace RftFunctions.Training.Datasets;

/// <summary>
/// The sampling seed of one prompt's group of completions. It depends on the prompt's position in the step's batch as
/// well as on the example: an example that appears twice in one step (a batch that crosses an epoch boundary, or a
/// dynamic-sampling refill) draws two different groups instead of the same one twice (double weight, no new
/// information). A pure function, so a re-delivered rollout draws the same tokens.
/// </summary>
public static class RolloutSeeds
{
    /// <summary>The seed for the group of <paramref name="example"/> at <paramref name="position"/> of step
    /// <paramref name="step"/>'s batch (positions count across rollout shards and refill rounds).</summary>
    /// <param name="seed">The job seed.</param>
    /// <param name="split">1 for training prompts, 2 for validation items.</param>
    /// <param name="step">0-based step.</param>
    /// <param name="position">0-based position of the prompt in everything the step sampled.</param>
    /// <param name="example">Index of the example in its file.</param>
    public static long For(long seed, int split, int step, int position, int example) =>
        (long)(SeededRandom.For(seed, split, step, example, position).NextUInt64() >> 1);
}
