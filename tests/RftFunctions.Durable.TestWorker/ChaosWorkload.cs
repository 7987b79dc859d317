namespace RftFunctions.Durable.TestWorker;

/// <summary>
/// The chaos workload, shared by the worker processes and the test: a chain of activities followed by a fan-out, so a
/// kill can land in any kind of step. The expected output is computable, so a lost or doubled result shows.
/// </summary>
public static class ChaosWorkload
{
    /// <summary>The orchestrator name.</summary>
    public const string Orchestrator = "ChaosOrchestration";

    /// <summary>Sequential steps before the fan-out.</summary>
    public const int ChainLength = 4;

    /// <summary>Activities in the fan-out.</summary>
    public const int FanOut = 8;

    /// <summary>What an instance with input <paramref name="seed"/> must return.</summary>
    public static long Expected(int seed)
    {
        long value = seed;
        for (int i = 0; i < ChainLength; i++) value = Step(value, i);
        long sum = 0;
        for (int i = 0; i < FanOut; i++) sum += Step(value, 100 + i);
        return sum;
    }

    private static long Step(long value, int salt) => (value * 31 + salt) % 1_000_003;

    /// <summary>Registers the orchestrator and its activity.</summary>
    public static DurableTaskRegistry Register(DurableTaskRegistry registry) => registry
        .AddOrchestratorFunc<int, long>(Orchestrator, async (ctx, seed) =>
        {
            long value = seed;
            for (int i = 0; i < ChainLength; i++) value = await ctx.CallActivityAsync<long>("ChaosStep", new long[] { value, i });
            var results = await Task.WhenAll(Enumerable.Range(0, FanOut).Select(i => ctx.CallActivityAsync<long>("ChaosStep", new long[] { value, 100 + i })));
            return results.Sum();
        })
        .AddActivityFunc<long[], long>("ChaosStep", async (_, args) =>
        {
            // Long enough that the workload outlasts several kill intervals even on an idle machine.
            await Task.Delay(60 + (int)(args[0] % 90));
            return Step(args[0], (int)args[1]);
        });
}
