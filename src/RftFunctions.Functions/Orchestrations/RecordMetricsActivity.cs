using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Jobs;

namespace RftFunctions.Functions.Orchestrations;

/// <summary>
/// Appends the step's metrics event in OpenAI's shape (step, total_steps, scores, usage, errors, timing) plus our
/// diagnostics, and advances the job record's trained steps and tokens. Idempotent: the event row is keyed by its
/// sequence number and the counters are set, not incremented.
/// </summary>
public sealed class RecordMetricsActivity(JobStore store, WorkerShutdown shutdown) : TaskActivity<StepReport, string>
{
    /// <inheritdoc />
    public override async Task<string> RunAsync(TaskActivityContext context, StepReport report)
    {
        var data = BuildData(report);
        var valid = report.Validation is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $", full validation mean reward={report.Validation.RewardMean:0.00}, full validation mean parse error={ErrorMean(report.Validation.ErrorCounts, "sample_parse_error", report.Validation.Count):0.00}");
        var message = string.Create(CultureInfo.InvariantCulture, $"Step {report.Step}/{report.TotalSteps} , train mean reward={report.Train.RewardMean:0.00}{valid}");
        if (report.Update.Skipped) message += $" (update skipped: {report.Update.SkipReason})";
        // One metrics event per step, even when a re-run episode asks again with another sequence (JobStore.AppendEventOnceAsync).
        await store.AppendEventOnceAsync(report.JobId, string.Create(CultureInfo.InvariantCulture, $"metrics-{report.Step:D6}"), report.Sequence, new JobEventObject
        {
            Id = "",
            CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Level = report.Update.Skipped ? "warn" : "info",
            Message = message,
            Type = "metrics",
            Data = JsonSerializer.SerializeToElement(data),
        }, shutdown.Token);
        if (report.Update.Skipped && report.WarningSequence is { } warning)
        {
            // Its own message event too, so a user reading messages (not metrics) sees that a step did not train.
            await store.AppendEventOnceAsync(report.JobId, string.Create(CultureInfo.InvariantCulture, $"skipped-{report.Step:D6}"), warning, new JobEventObject
            {
                Id = "",
                CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                Level = "warn",
                Message = string.Create(CultureInfo.InvariantCulture,
                    $"Step {report.Step}: policy update skipped ({report.Update.SkipReason}); the weights and optimizer state stay those after step {report.Step - 1} and training continues"),
                Type = "message",
            }, shutdown.Token);
        }
        // The health monitors' firings at this step (warn events, once per detector and step).
        await MonitorEvents.AppendAsync(store, report.JobId, report.Firings, shutdown.Token);
        await store.UpdateAsync(report.JobId, job => job with
        {
            TrainedSteps = Math.Max(job.TrainedSteps, report.Step),
            TotalSteps = report.TotalSteps,
        }, shutdown.Token);
        return message;
    }

    private static double ErrorMean(IReadOnlyDictionary<string, int> counts, string category, int total) =>
        total == 0 ? 0 : counts.GetValueOrDefault(category) / (double)total;

    /// <summary>
    /// <c>usage</c>: completion tokens and samples of the step, and the judge models' tokens by model as the judges
    /// reported them (<c>model_graders_token_usage</c>, training grading; <c>valid_model_graders_token_usage</c>).
    /// </summary>
    private static JsonObject Usage(StepReport r)
    {
        var usage = new JsonObject
        {
            ["completion_tokens"] = r.Update.Tokens,
            ["samples"] = r.Train.Count,
            ["model_graders_token_usage"] = TokenUsageByModel(r.Train.JudgeUsage),
        };
        if (r.Validation is not null) usage["valid_model_graders_token_usage"] = TokenUsageByModel(r.Validation.JudgeUsage ?? new Dictionary<string, Graders.Evaluation.TokenUsage>());
        return usage;
    }

    private static JsonObject TokenUsageByModel(IReadOnlyDictionary<string, Graders.Evaluation.TokenUsage> usage)
    {
        var byModel = new JsonObject();
        foreach (var (model, u) in usage.OrderBy(p => p.Key, StringComparer.Ordinal))
            byModel[model] = JsonSerializer.SerializeToNode(u);
        return byModel;
    }

    private static JsonObject GraderTimings(IReadOnlyDictionary<string, GraderTiming> timings)
    {
        var graders = new JsonObject();
        foreach (var (name, t) in timings.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            graders[name] = new JsonObject
            {
                ["count"] = t.Count,
                ["mean"] = t.Count == 0 ? 0 : t.Seconds / t.Count,
                ["max"] = t.MaxSeconds,
                ["retries"] = t.Retries,
            };
        }
        return graders;
    }

    /// <summary>The event's <c>data</c> object.</summary>
    public static JsonObject BuildData(StepReport r)
    {
        var graders = new JsonArray();
        foreach (var (name, mean) in r.Train.SubRewardMeans.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var g = new JsonObject { ["name"] = name, ["type"] = r.Train.SubTypes.GetValueOrDefault(name), ["train_reward_mean"] = mean };
            if (r.Validation is not null) g["valid_reward_mean"] = r.Validation.SubRewardMeans.GetValueOrDefault(name);
            graders.Add(g);
        }
        var scores = new JsonObject { ["train_reward_mean"] = r.Train.RewardMean, ["graders"] = graders };
        if (r.Validation is not null) scores["valid_reward_mean"] = r.Validation.RewardMean;
        var errors = new JsonObject();
        foreach (var category in GradeActivity.ErrorCategories)
        {
            errors[$"train_{category}_count"] = r.Train.ErrorCounts.GetValueOrDefault(category);
            errors[$"train_{category}_mean"] = ErrorMean(r.Train.ErrorCounts, category, r.Train.Count);
            if (r.Validation is null) continue;
            errors[$"valid_{category}_count"] = r.Validation.ErrorCounts.GetValueOrDefault(category);
            errors[$"valid_{category}_mean"] = ErrorMean(r.Validation.ErrorCounts, category, r.Validation.Count);
        }
        var u = r.Update;
        return new JsonObject
        {
            ["step"] = r.Step,
            ["total_steps"] = r.TotalSteps,
            ["scores"] = scores,
            ["usage"] = Usage(r),
            ["errors"] = new JsonObject { ["graders"] = new JsonArray(errors) },
            ["timing"] = new JsonObject
            {
                ["step"] = new JsonObject
                {
                    ["sampling"] = r.Timing.Sampling,
                    ["grading"] = r.Timing.Grading,
                    ["training"] = r.Timing.Training,
                    ["eval"] = r.Timing.Eval,
                    ["full_iteration"] = r.Timing.FullIteration,
                    ["orchestration"] = Math.Max(0, r.Timing.FullIteration - r.Timing.InsideActivities),
                },
                // Time inside the work activities on the step's critical path; the rest of full_iteration is dispatch.
                ["inside_activities"] = new JsonObject
                {
                    ["sampling"] = r.Timing.SamplingInside,
                    ["grading"] = r.Timing.GradingInside,
                    ["training"] = r.Timing.TrainingInside,
                    ["eval"] = r.Timing.EvalInside,
                    ["total"] = r.Timing.InsideActivities,
                },
                // Per grader (the top grader and each sub-grader): how long one sample's grading took, judge and
                // endpoint calls included; sums over the step's training grades (and validation, when it ran).
                ["graders"] = GraderTimings(r.Train.Timings),
                ["valid_graders"] = r.Validation?.Timings is { } vt ? GraderTimings(vt) : null,
            },
            ["diagnostics"] = new JsonObject
            {
                ["loss"] = u.Loss,
                ["kl"] = u.Kl,
                ["entropy"] = u.Entropy,
                ["clip_ratio_low"] = u.ClipRatioLow,
                ["clip_ratio_high"] = u.ClipRatioHigh,
                ["clip_ratio_region"] = u.ClipRatioLow + u.ClipRatioHigh,
                ["completion_length_mean"] = u.CompletionLengthMean,
                ["completion_length_min"] = u.CompletionLengthMin,
                ["completion_length_max"] = u.CompletionLengthMax,
                ["clipped_fraction"] = u.TruncatedFraction,
                ["frac_reward_zero_std"] = u.FractionZeroStdGroups,
                // |logp_sampler - logp_trainer| over the batch's tokens (TRL logs the same gap as sampling/*logp_diff*).
                ["sampler_logp_diff_mean"] = u.SamplerMismatchMean,
                ["sampler_logp_diff_max"] = u.SamplerMismatchMax,
                ["importance_weight_truncated_fraction"] = u.ImportanceWeightTruncatedFraction,
                ["optimizer_steps"] = u.OptimizerSteps,
                ["dynamic_sampling_dropped_groups"] = u.DroppedGroups,
                ["dynamic_sampling_refill_rounds"] = u.RefillRounds,
                ["reward_std"] = u.RewardStd,
                ["grad_norm"] = u.GradNorm,
                ["lr"] = u.LearningRate,
                ["tokens"] = u.Tokens,
                // Sample-level numbers the health monitors read (Training/Monitors/README.md).
                ["length_reward_correlation"] = r.Train.Summary.LengthRewardCorrelation(),
                ["distinct_bigram_ratio"] = r.Train.Summary.DistinctNgramRatio(),
                ["grader_directed_fraction"] = r.Train.Summary.Samples == 0 ? 0 : r.Train.Summary.GraderDirected / (double)r.Train.Summary.Samples,
                ["update_skipped"] = u.Skipped,
                ["skip_reason"] = u.SkipReason,
            },
        };
    }
}
