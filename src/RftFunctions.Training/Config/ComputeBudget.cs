using System.Globalization;
using System.Text.Json.Serialization;

namespace RftFunctions.Training.Config;

/// <summary>
/// A job's compute budget: trained tokens (completion tokens the policy update trained on, the job's
/// <c>trained_tokens</c>) and running wall time (seconds spent running steps; queued and paused time do not count).
/// Either limit may be absent. The job checks after each step and pauses itself once a limit is reached; a resume
/// may carry a higher budget.
/// </summary>
/// <param name="MaxTokens">Trained-token limit, or null for none.</param>
/// <param name="MaxWallSeconds">Running wall-time limit in seconds, or null for none.</param>
public sealed record ComputeBudget(
    [property: JsonPropertyName("max_tokens")] long? MaxTokens = null,
    [property: JsonPropertyName("max_wall_seconds")] double? MaxWallSeconds = null)
{
    /// <summary>Every problem with the values, each naming the field.</summary>
    public IEnumerable<string> Validate()
    {
        if (MaxTokens is <= 0) yield return "Budget.MaxTokens must be positive when set";
        if (MaxWallSeconds is not null && !(MaxWallSeconds > 0 && double.IsFinite(MaxWallSeconds.Value)))
            yield return "Budget.MaxWallSeconds must be a positive number of seconds when set";
    }

    /// <summary>Why <paramref name="usage"/> exhausts this budget, or null while it does not.</summary>
    public string? Exhausted(ComputeUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var reasons = new List<string>();
        if (MaxTokens is { } tokens && usage.Tokens >= tokens)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{usage.Tokens} trained tokens of {tokens} allowed"));
        if (MaxWallSeconds is { } seconds && usage.WallSeconds >= seconds)
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{usage.WallSeconds:0.#} s running of {seconds:0.#} s allowed"));
        return reasons.Count == 0 ? null : string.Join(" and ", reasons);
    }

    /// <summary>
    /// The budget a plain resume (one that names no new budget) continues under: each exhausted limit grows by its
    /// original size (<paramref name="allowance"/>), so a resume grants one more allowance rather than lifting the cap.
    /// </summary>
    public ComputeBudget Extend(ComputeUsage usage, ComputeBudget allowance)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(allowance);
        return new ComputeBudget(
            MaxTokens is { } t && usage.Tokens >= t ? usage.Tokens + (allowance.MaxTokens ?? t) : MaxTokens,
            MaxWallSeconds is { } s && usage.WallSeconds >= s ? usage.WallSeconds + (allowance.MaxWallSeconds ?? s) : MaxWallSeconds);
    }
}

/// <summary>What a job has used so far.</summary>
/// <param name="Tokens">Trained tokens.</param>
/// <param name="WallSeconds">Seconds spent running steps.</param>
public sealed record ComputeUsage(long Tokens = 0, double WallSeconds = 0)
{
    /// <summary>This usage plus one step's.</summary>
    public ComputeUsage Add(long tokens, double wallSeconds) => new(Tokens + tokens, WallSeconds + wallSeconds);
}
