using RftFunctions.Training.Config;

namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// Applies the deployment's <see cref="TrainingLimits"/> to a resolved job config at create: a value over its bound
/// is a 400 naming the request field that set it (the trainer knob when the request set one, else the OpenAI
/// hyperparameter it came from), before anything is stored or started.
/// </summary>
public static class TrainingLimitsCheck
{
    private const string Hyperparameters = "method.reinforcement.hyperparameters";

    // The config property each OpenAI hyperparameter resolves into (OpenAiHyperparameters.Resolve).
    private static readonly Dictionary<string, string> HyperparameterOf = new(StringComparer.Ordinal)
    {
        [nameof(RftTrainingConfig.Epochs)] = "n_epochs",
        [nameof(RftTrainingConfig.PromptsPerStep)] = "batch_size",
        [nameof(RftTrainingConfig.LearningRate)] = "learning_rate_multiplier",
        [nameof(RftTrainingConfig.SamplesPerPrompt)] = "compute_multiplier",
        [nameof(RftTrainingConfig.EvalInterval)] = "eval_interval",
        [nameof(RftTrainingConfig.EvalSamples)] = "eval_samples",
        [nameof(RftTrainingConfig.MaxCompletionTokens)] = "reasoning_effort",
    };

    /// <summary>Throws a 400 for the first bound <paramref name="config"/> exceeds.</summary>
    public static void Enforce(RftTrainingConfig config, int trainingExamples, TrainingLimits limits, IEnumerable<string> knobsSet)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var problems = limits.Validate(config, trainingExamples);
        if (problems.Count == 0) return;
        var set = knobsSet.ToHashSet(StringComparer.Ordinal);
        // The properties the first problem names (one for a bound, several for the cost ceiling), in its order.
        var named = problems[0].Split([' ', ':', ';', '×'], StringSplitOptions.RemoveEmptyEntries)
            .Where(w => TrainerKnobs.Knobs.ContainsKey(TrainerKnobs.NameOf(w)) && char.IsUpper(w[0])).ToList();
        var param = named.Select(TrainerKnobs.NameOf).FirstOrDefault(set.Contains) is { } knob ? $"{TrainerKnobs.Param}.{knob}"
            : named.FirstOrDefault(HyperparameterOf.ContainsKey) is { } property ? $"{Hyperparameters}.{HyperparameterOf[property]}"
            : Hyperparameters;
        throw ApiException.BadRequest($"Invalid {param}: {string.Join("; ", problems)}.", param, "limit_exceeded");
    }
}
