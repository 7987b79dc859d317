using RftFunctions.Graders.Evaluation;
using RftFunctions.Training.Config;
using RftFunctions.Training.Monitors;
using RftFunctions.Training.Trainer;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>What ValidateJob found: the numbers the orchestrator needs to compute prompts deterministically.</summary>
/// <remarks><paramref name="DynamicSampling"/> and <paramref name="DynamicSamplingMaxRounds"/>: DAPO's refill of groups
/// without signal (<see cref="RftTrainingConfig.DynamicSampling"/>). <paramref name="Warnings"/>: valid but questionable
/// settings (<see cref="RftTrainingConfig.Warnings"/>), recorded as warn events when the job starts.
/// <paramref name="Monitors"/>: what each health monitor does when it fires (<see cref="RftTrainingConfig.Monitors"/>).</remarks>
public sealed record JobPlan(
    int TotalSteps, int TrainExamples, int ValidExamples, long Seed, int PromptsPerStep, int SamplesPerPrompt, int Epochs,
    int EvalInterval, int EvalSamples, int StepsPerGeneration, int RolloutShardPrompts, ComputeBudget? Budget = null,
    bool DynamicSampling = false, int DynamicSamplingMaxRounds = 0, IReadOnlyList<string>? Warnings = null, MonitorPolicy? Monitors = null);

/// <summary>The TrainingJob orchestration's input, carried across ContinueAsNew.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Plan">Null in the first generation (ValidateJob fills it).</param>
/// <param name="NextStep">0-based step to run next.</param>
/// <param name="EventSequence">The next job-event sequence number (deterministic event ids).</param>
/// <param name="Used">Compute used so far (trained tokens, seconds running steps).</param>
/// <param name="Budget">The budget in force (null = the plan's; a resume may raise it).</param>
/// <param name="Monitors">The health monitors' history and cooldowns (null = none yet).</param>
public sealed record TrainingJobState(string JobId, JobPlan? Plan = null, int NextStep = 0, long EventSequence = 1,
    ComputeUsage? Used = null, ComputeBudget? Budget = null, MonitorState? Monitors = null);

/// <summary>Which data a rollout samples from.</summary>
public static class Split
{
    /// <summary>Training prompts.</summary>
    public const string Train = "train";

    /// <summary>Validation items.</summary>
    public const string Valid = "valid";
}

/// <summary>Rollout input: a shard of examples × G samples under the policy stored at <paramref name="PolicyPrefix"/>.
/// <paramref name="FirstPosition"/> is the position of the shard's first prompt among everything the step samples
/// (across shards and dynamic-sampling refills): sampling seeds depend on it, so a repeated example draws a new group.</summary>
public sealed record RolloutInput(string JobId, int Step, int Shard, string Split, IReadOnlyList<int> ExampleIndices, int SamplesPerPrompt, string? PolicyPrefix,
    int FirstPosition = 0);

/// <summary>A blob written by an activity, with its sizes.</summary>
public sealed record RolloutResult(string Blob, int Samples, long CompletionTokens, double Seconds);

/// <summary>A graded shard: its rollout, when sampling ended, and its grades.</summary>
public sealed record GradedShard(RolloutResult Rollout, DateTime SampledAt, GradeResult Grade);

/// <summary>Grade input: the rollout blob to grade.</summary>
public sealed record GradeInput(string JobId, int Step, int Shard, string Split, string RolloutBlob);

/// <summary>Reward totals of one graded shard (sums, so shards add up).</summary>
/// <param name="Blob">The grades blob.</param>
/// <param name="Count">Samples graded.</param>
/// <param name="RewardSum">Sum of their rewards.</param>
/// <param name="SubRewardSums">Sums of each sub-grader's rewards.</param>
/// <param name="SubTypes">Each sub-grader's type.</param>
/// <param name="ErrorCounts">Samples per metrics-event error category.</param>
/// <param name="Seconds">Time inside the activity.</param>
/// <param name="UniformGroups">Groups whose (shaped) rewards are all equal, which dynamic sampling replaces.</param>
/// <param name="JudgeUsage">Judge-model token usage by the model that answered (OpenAI's usage shape).</param>
/// <param name="Timings">Latency of each grader (the top grader and each sub-grader, by name).</param>
/// <param name="Summary">Sample-level statistics for the health monitors (training shards only; small, sums).</param>
public sealed record GradeResult(
    string Blob, int Count, double RewardSum, IReadOnlyDictionary<string, double> SubRewardSums,
    IReadOnlyDictionary<string, string> SubTypes, IReadOnlyDictionary<string, int> ErrorCounts, double Seconds, int UniformGroups = 0,
    IReadOnlyDictionary<string, TokenUsage>? JudgeUsage = null, IReadOnlyDictionary<string, GraderTiming>? Timings = null, SampleSummary? Summary = null);

/// <summary>Latency of one grader over some samples (sums, so shards add up).</summary>
/// <param name="Count">Samples graded.</param>
/// <param name="Seconds">Total seconds.</param>
/// <param name="MaxSeconds">The slowest sample.</param>
/// <param name="Retries">Endpoint retries (attempts after the first).</param>
public sealed record GraderTiming(int Count, double Seconds, double MaxSeconds, int Retries = 0)
{
    /// <summary>Adds two timings up.</summary>
    public static GraderTiming Add(GraderTiming a, GraderTiming b) =>
        new(a.Count + b.Count, a.Seconds + b.Seconds, Math.Max(a.MaxSeconds, b.MaxSeconds), a.Retries + b.Retries);

    /// <summary>Adds up usage and timings of several shards.</summary>
    public static (IReadOnlyDictionary<string, TokenUsage> Usage, IReadOnlyDictionary<string, GraderTiming> Timings) Sum(IEnumerable<GradeResult> shards)
    {
        var usage = new SortedDictionary<string, TokenUsage>(StringComparer.Ordinal);
        var timings = new SortedDictionary<string, GraderTiming>(StringComparer.Ordinal);
        foreach (var shard in shards)
        {
            foreach (var (model, u) in shard.JudgeUsage ?? new Dictionary<string, TokenUsage>())
                usage[model] = usage.TryGetValue(model, out var had) ? had + u : u;
            foreach (var (name, t) in shard.Timings ?? new Dictionary<string, GraderTiming>())
                timings[name] = timings.TryGetValue(name, out var had) ? Add(had, t) : t;
        }
        return (usage, timings);
    }
}

/// <summary>PolicyUpdate input: the step's graded shards, in order (refill rounds' shards after the first round's).</summary>
public sealed record PolicyUpdateInput(string JobId, int Step, int TotalSteps, IReadOnlyList<string> RolloutBlobs, IReadOnlyList<string> GradeBlobs,
    int RefillRounds = 0);

/// <summary>PolicyUpdate output: where the new trainer state lies and the update's metrics.</summary>
public sealed record PolicyUpdateResult(string StatePrefix, PolicyUpdateMetrics Metrics, double Seconds);

/// <summary>Validation sub-orchestration input.</summary>
public sealed record ValidationInput(string JobId, int Step, string PolicyPrefix, JobPlan Plan);

/// <summary>Validation output: valid_reward_mean overall and per sub-grader, error means, judge usage and grader latency.</summary>
public sealed record ValidationResult(double RewardMean, int Count, IReadOnlyDictionary<string, double> SubRewardMeans,
    IReadOnlyDictionary<string, string> SubTypes, IReadOnlyDictionary<string, int> ErrorCounts, double SamplingSeconds, double GradingSeconds,
    IReadOnlyDictionary<string, TokenUsage>? JudgeUsage = null, IReadOnlyDictionary<string, GraderTiming>? Timings = null);

/// <summary>
/// Wall-clock split of one step, seconds: the orchestrator's view of each phase (dispatch included), the whole step,
/// and the time spent inside the work activities on the step's critical path (slowest shard of each fan-out), in
/// total and per phase.
/// </summary>
public sealed record StepTiming(double Sampling, double Grading, double Training, double Eval, double FullIteration, double InsideActivities,
    double SamplingInside = 0, double GradingInside = 0, double TrainingInside = 0, double EvalInside = 0);

/// <summary>RecordMetrics input: everything the step's metrics event says.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Sequence">The metrics event's sequence.</param>
/// <param name="Step">1-based step.</param>
/// <param name="TotalSteps">Steps in the job.</param>
/// <param name="Train">The step's training grades.</param>
/// <param name="Update">The policy update's metrics.</param>
/// <param name="Validation">Validation results when the step validated.</param>
/// <param name="Timing">Where the step's time went.</param>
/// <param name="WarningSequence">The sequence of the warning event a skipped update records (null when none).</param>
/// <param name="Firings">The health monitors' firings at the step, each recorded as a warn event (null when none).</param>
public sealed record StepReport(string JobId, long Sequence, int Step, int TotalSteps, GradeTotals Train,
    PolicyUpdateMetrics Update, ValidationResult? Validation, StepTiming Timing, long? WarningSequence = null, IReadOnlyList<SequencedFiring>? Firings = null);

/// <summary>Sums of a step's training grades.</summary>
public sealed record GradeTotals(double RewardMean, int Count, IReadOnlyDictionary<string, double> SubRewardMeans,
    IReadOnlyDictionary<string, string> SubTypes, IReadOnlyDictionary<string, int> ErrorCounts)
{
    /// <summary>Judge-model token usage by model.</summary>
    public IReadOnlyDictionary<string, TokenUsage> JudgeUsage { get; init; } = new Dictionary<string, TokenUsage>();

    /// <summary>Latency per grader.</summary>
    public IReadOnlyDictionary<string, GraderTiming> Timings { get; init; } = new Dictionary<string, GraderTiming>();

    /// <summary>Sample-level statistics of the step's training samples, for the health monitors.</summary>
    public SampleSummary Summary { get; init; } = new();

    /// <summary>Adds shard results up.</summary>
    public static GradeTotals Of(IReadOnlyList<GradeResult> shards)
    {
        int count = shards.Sum(s => s.Count);
        var subs = shards.SelectMany(s => s.SubRewardSums).GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value) / Math.Max(count, 1), StringComparer.Ordinal);
        var types = shards.SelectMany(s => s.SubTypes).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var errors = shards.SelectMany(s => s.ErrorCounts).GroupBy(p => p.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);
        var (usage, timings) = GraderTiming.Sum(shards);
        var summary = shards.Select(s => s.Summary).OfType<SampleSummary>().Aggregate(new SampleSummary(), SampleSummary.Add);
        return new GradeTotals(shards.Sum(s => s.RewardSum) / Math.Max(count, 1), count, subs, types, errors) { JudgeUsage = usage, Timings = timings, Summary = summary };
    }
}

/// <summary>A status change (and the message event that goes with it; <paramref name="Level"/> overrides the event's
/// level, e.g. "warn" for a setting worth a warning).</summary>
public sealed record JobStatusChange(string JobId, long Sequence, string Status, string Message, string? ErrorCode = null, string? ErrorMessage = null, int? TotalSteps = null,
    string? Level = null);

/// <summary>Checkpoint input: copy the state after <paramref name="Step"/> (0-based) into a checkpoint.</summary>
public sealed record CheckpointInput(string JobId, long Sequence, int Step, string StatePrefix, ValidationResult Validation, double TrainRewardMean);

/// <summary>Finalize input.</summary>
public sealed record FinalizeInput(string JobId, long Sequence, string StatePrefix, int TotalSteps);

/// <summary>The orchestration's result.</summary>
public sealed record TrainingJobOutcome(string Status, string? FineTunedModel, int TrainedSteps);
