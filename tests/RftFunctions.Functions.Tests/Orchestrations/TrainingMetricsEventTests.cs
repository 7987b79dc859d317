using System.Text.Json.Nodes;
using RftFunctions.Functions.Orchestrations;
using RftFunctions.Training.Trainer;
using Xunit;

namespace RftFunctions.Functions.Tests.Orchestrations;

public sealed class TrainingMetricsEventTests
{
    private static StepReport Report(ValidationResult? validation) => new(
        "ftjob-m", 9, Step: 3, TotalSteps: 10,
        new GradeTotals(0.5, 8, new Dictionary<string, double> { ["hit"] = 0.25, ["sim"] = 0.75 },
            new Dictionary<string, string> { ["hit"] = "string_check", ["sim"] = "text_similarity" },
            new Dictionary<string, int> { ["sample_parse_error"] = 2 }),
        new PolicyUpdateMetrics
        {
            Step = 2,
            RewardMean = 0.5,
            RewardStd = 0.3,
            FractionZeroStdGroups = 0.25,
            Loss = 0.01,
            LearningRate = 1e-4,
            GradNorm = 0.7,
            ClipRatioLow = 0.1,
            ClipRatioHigh = 0.05,
            Kl = 0.02,
            Entropy = 4.5,
            CompletionLengthMean = 6.5,
            CompletionLengthMin = 2,
            CompletionLengthMax = 8,
            TruncatedFraction = 0.125,
            Tokens = 52,
            SamplerMismatchMean = 0.003,
            SamplerMismatchMax = 0.04,
            ImportanceWeightTruncatedFraction = 0.01,
            OptimizerSteps = 4,
            DroppedGroups = 3,
            RefillRounds = 1,
        },
        validation,
        new StepTiming(1.0, 0.5, 2.0, 0.75, 4.5, 4.0, 0.9, 0.4, 1.9, 0.8));

    /// <summary>The data as stored: serialised and read back (numbers then convert freely).</summary>
    private static JsonNode Data(ValidationResult? validation) => JsonNode.Parse(RecordMetricsActivity.BuildData(Report(validation)).ToJsonString())!;

    [Fact]
    public void The_metrics_event_carries_every_diagnostic_and_the_timing_split()
    {
        var data = Data(null);

        var diagnostics = data["diagnostics"]!.AsObject();
        var expected = new Dictionary<string, double>
        {
            ["kl"] = 0.02,
            ["entropy"] = 4.5,
            ["clip_ratio_low"] = 0.1,
            ["clip_ratio_high"] = 0.05,
            ["clip_ratio_region"] = 0.15,
            ["completion_length_mean"] = 6.5,
            ["completion_length_min"] = 2,
            ["completion_length_max"] = 8,
            ["clipped_fraction"] = 0.125,
            ["frac_reward_zero_std"] = 0.25,
            ["reward_std"] = 0.3,
            ["grad_norm"] = 0.7,
            ["lr"] = 1e-4,
            ["tokens"] = 52,
            ["loss"] = 0.01,
            ["sampler_logp_diff_mean"] = 0.003,
            ["sampler_logp_diff_max"] = 0.04,
            ["importance_weight_truncated_fraction"] = 0.01,
            ["optimizer_steps"] = 4,
            ["dynamic_sampling_dropped_groups"] = 3,
            ["dynamic_sampling_refill_rounds"] = 1,
        };
        foreach (var (key, value) in expected)
            Assert.True(diagnostics.ContainsKey(key) && Math.Abs(diagnostics[key]!.GetValue<double>() - value) < 1e-12, $"diagnostics.{key}");
        Assert.False(diagnostics["update_skipped"]!.GetValue<bool>());

        var step = data["timing"]!["step"]!.AsObject();
        Assert.Equal([1.0, 0.5, 2.0, 0.75, 4.5, 0.5], new[] { "sampling", "grading", "training", "eval", "full_iteration", "orchestration" }.Select(k => step[k]!.GetValue<double>()));
        var inside = data["timing"]!["inside_activities"]!.AsObject();
        Assert.Equal([0.9, 0.4, 1.9, 0.8, 4.0], new[] { "sampling", "grading", "training", "eval", "total" }.Select(k => inside[k]!.GetValue<double>()));
        Assert.Equal(52, data["usage"]!["completion_tokens"]!.GetValue<long>());
        Assert.Equal(0.25, data["errors"]!["graders"]![0]!["train_sample_parse_error_mean"]!.GetValue<double>());
    }

    [Fact]
    public void Per_grader_scores_have_train_and_valid_means_when_the_step_validated()
    {
        var validation = new ValidationResult(0.6, 4, new Dictionary<string, double> { ["hit"] = 0.5, ["sim"] = 0.7 },
            new Dictionary<string, string> { ["hit"] = "string_check", ["sim"] = "text_similarity" }, new Dictionary<string, int>(), 0.5, 0.3);

        var scores = Data(validation)["scores"]!;
        var without = Data(null)["scores"]!;

        Assert.Equal(0.6, scores["valid_reward_mean"]!.GetValue<double>());
        var graders = scores["graders"]!.AsArray().Select(g => g!.AsObject()).ToList();
        Assert.Equal(["hit", "sim"], graders.Select(g => g["name"]!.GetValue<string>()));
        Assert.Equal(["string_check", "text_similarity"], graders.Select(g => g["type"]!.GetValue<string>()));
        Assert.Equal([0.25, 0.75], graders.Select(g => g["train_reward_mean"]!.GetValue<double>()));
        Assert.Equal([0.5, 0.7], graders.Select(g => g["valid_reward_mean"]!.GetValue<double>()));
        Assert.Null(without["valid_reward_mean"]);
        Assert.All(without["graders"]!.AsArray(), g => Assert.False(g!.AsObject().ContainsKey("valid_reward_mean")));
    }
}
