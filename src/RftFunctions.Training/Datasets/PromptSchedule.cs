namespace RftFunctions.Training.Datasets;

/// <summary>Which examples one training step uses, and where they sit in the epoch order.</summary>
/// <param name="Step">0-based global step.</param>
/// <param name="Epoch">0-based epoch of the step's first example.</param>
/// <param name="ExampleIndices">Indices into the training set, in batch order.</param>
public sealed record StepPrompts(int Step, int Epoch, IReadOnlyList<int> ExampleIndices);

/// <summary>
/// The order in which a job visits its training examples: a pure function of (seed, epoch, step), so the orchestrator
/// can compute a step's prompts during replay and a resumed job visits exactly what an uninterrupted one would.
/// Each epoch is a fresh seeded permutation; a batch that runs past the end of an epoch continues into the next.
/// </summary>
public sealed class PromptSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="exampleCount">Training examples.</param>
    /// <param name="batchSize">Prompts per step.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="seed">The job seed.</param>
    public PromptSchedule(int exampleCount, int batchSize, int epochs, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(exampleCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ExampleCount = exampleCount;
        BatchSize = batchSize;
        Epochs = epochs;
        Seed = seed;
        // Every example is seen `epochs` times; the last step may be short rather than invent extra samples.
        TotalSteps = (int)(((long)exampleCount * epochs + batchSize - 1) / batchSize);
    }

    public int ExampleCount { get; }

    public int BatchSize { get; }

    public int Epochs { get; }

    public long Seed { get; }

    /// <summary>Steps in the whole job.</summary>
    public int TotalSteps { get; }

    /// <summary>The example order of one epoch.</summary>
    public int[] EpochOrder(int epoch)
    {
        var order = Enumerable.Range(0, ExampleCount).ToArray();
        var random = SeededRandom.For(Seed, epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// The prompts dynamic sampling adds to step <paramref name="step"/> in refill round <paramref name="round"/>
    /// (1-based): <paramref name="count"/> distinct examples (at most all of them) drawn by a seeded shuffle of the
    /// whole training set, a pure function of (seed, step, round), so the orchestrator computes the same refill on
    /// replay and a resumed job refills exactly as an uninterrupted one. Refills do not move the epoch order: the
    /// schedule's steps stay what they were.
    /// </summary>
    public IReadOnlyList<int> Refill(int step, int round, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(round);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = Enumerable.Range(0, ExampleCount).ToArray();
        // Stream tag 0x7EF111 keeps refills independent of the epoch orders (which use the stream (seed, epoch)).
        var random = SeededRandom.For(Seed, 0x7EF111, step, round);
        int take = Math.Min(count, ExampleCount);
        // A partial Fisher-Yates shuffle: the first `take` entries are a uniform draw without replacement.
        for (int i = 0; i < take; i++)
        {
            int j = i + random.NextInt(ExampleCount - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order[..take];
    }

    /// <summary>The prompts of step <paramref name="step"/> (0-based).</summary>
    public StepPrompts ForStep(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(step, TotalSteps);
        long first = (long)step * BatchSize;
        long end = Math.Min(first + BatchSize, (long)ExampleCount * Epochs);
        var indices = new List<int>((int)(end - first));
        int epoch = (int)(first / ExampleCount);
        int[] order = EpochOrder(epoch);
        for (long position = first; position < end; position++)
        {
            int e = (int)(position / ExampleCount);
            if (e != epoch)
            {
                epoch = e;
                order = EpochOrder(e);
            }
            indices.Add(order[position % ExampleCount]);
        }
        return new StepPrompts(step, (int)(first / ExampleCount), indices);
    }
}
