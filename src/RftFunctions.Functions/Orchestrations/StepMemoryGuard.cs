using System.Globalization;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Refuses a step whose estimated memory (<see cref="Training.Trainer.StepMemoryEstimate"/>) exceeds the worker's
/// budget (<see cref="JobStorageOptions.StepMemoryBudgetBytes"/>, else 80% of the memory available to the process)
/// before it allocates anything: the activity throws <see cref="StepMemoryException"/>, the job fails with its message,
/// and the worker, with every other job on it, keeps running.
/// </summary>
public static class StepMemoryGuard
{
    /// <summary>The budget a step gets on this worker, in bytes.</summary>
    public static long BudgetBytes(JobStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.StepMemoryBudgetBytes > 0 ? options.StepMemoryBudgetBytes : (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 0.8);
    }

    /// <summary>Throws when <paramref name="estimatedBytes"/> does not fit the budget.</summary>
    public static void Check(JobStorageOptions options, string step, long estimatedBytes, string advice)
    {
        var budget = BudgetBytes(options);
        if (estimatedBytes <= budget) return;
        throw new StepMemoryException(string.Create(CultureInfo.InvariantCulture,
            $"{step} needs an estimated {Size(estimatedBytes)} of memory, more than this worker allows a step ({Size(budget)}); {advice}"));
    }

    private static string Size(long bytes) => bytes >= 1L << 30
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.##} GiB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.##} MiB");
}

/// <summary>A step that would not fit the worker's memory budget.</summary>
public sealed class StepMemoryException(string message) : InvalidOperationException(message);
