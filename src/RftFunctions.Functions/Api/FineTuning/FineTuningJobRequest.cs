using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RftFunctions.Graders.Api;
using RftFunctions.Graders.Validation;
using RftFunctions.Training.Config;

namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// The body of <c>POST /v1/fine_tuning/jobs</c>, checked field by field (each problem is a 400 whose <c>param</c> names
/// the field). Only <c>method.type: reinforcement</c> is accepted; the reinforcement grader is checked by the same
/// validator as <c>/v1/fine_tuning/alpha/graders/validate</c>.
/// </summary>
public sealed partial record FineTuningJobRequest
{
    private static readonly HashSet<string> TopLevel = new(StringComparer.Ordinal)
    { "model", "training_file", "validation_file", "suffix", "seed", "metadata", "method", "hyperparameters", "integrations" };

    private static readonly HashSet<string> ReinforcementFields = new(StringComparer.Ordinal) { "grader", "hyperparameters", "response_format", "trainer" };

    private static readonly HashSet<string> HyperparameterFields = new(StringComparer.Ordinal)
    { "n_epochs", "batch_size", "learning_rate_multiplier", "eval_interval", "eval_samples", "compute_multiplier", "reasoning_effort" };

    /// <summary>The base model id.</summary>
    public required string Model { get; init; }

    /// <summary>The training file id.</summary>
    public required string TrainingFile { get; init; }

    /// <summary>The validation file id (required for reinforcement jobs, as at OpenAI).</summary>
    public required string ValidationFile { get; init; }

    /// <summary>The fine-tuned model name's suffix.</summary>
    public string? Suffix { get; init; }

    /// <summary>The job seed (a random one when the request has none, reported in the job object).</summary>
    public required long Seed { get; init; }

    /// <summary>Up to 16 string pairs.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>The method object as submitted (echoed in the job object).</summary>
    public required JsonElement Method { get; init; }

    /// <summary>The reinforcement grader.</summary>
    public required JsonElement Grader { get; init; }

    /// <summary>Whether a json_schema response_format asks for JSON output.</summary>
    public bool OutputJsonRequired { get; init; }

    /// <summary>The hyperparameters as submitted.</summary>
    public required OpenAiHyperparameters Hyperparameters { get; init; }

    /// <summary>Our extension <c>method.reinforcement.trainer</c>: trainer knobs by name, applied after the
    /// hyperparameters (see <see cref="TrainerKnobs"/>); empty when the request has none.</summary>
    public IReadOnlyDictionary<string, object?> Trainer { get; init; } = new Dictionary<string, object?>();

    /// <summary>Checks <paramref name="body"/>.</summary>
    public static FineTuningJobRequest Parse(JsonElement body)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (!TopLevel.Contains(property.Name))
                throw Bad($"Unrecognized request argument supplied: {property.Name}", property.Name, "unknown_parameter");
        }
        if (body.TryGetProperty("hyperparameters", out var legacy) && legacy.ValueKind != JsonValueKind.Null)
            throw Bad("Top-level 'hyperparameters' belong to supervised jobs, which this service does not run; put reinforcement hyperparameters in method.reinforcement.hyperparameters.", "hyperparameters", "unsupported_parameter");
        if (body.TryGetProperty("integrations", out var integrations) && integrations.ValueKind is not (JsonValueKind.Null or JsonValueKind.Array)
            || integrations.ValueKind == JsonValueKind.Array && integrations.GetArrayLength() > 0)
            throw Bad("integrations are not supported.", "integrations", "unsupported_parameter");

        var method = Required(body, "method", JsonValueKind.Object, "method");
        var type = Required(method, "type", JsonValueKind.String, "method.type").GetString()!;
        if (type != "reinforcement")
            throw Bad($"method.type '{type}' is not supported: this service runs reinforcement fine-tuning only (method.type \"reinforcement\").", "method.type", "unsupported_method");
        foreach (var property in method.EnumerateObject())
        {
            if (property.Name is not ("type" or "reinforcement"))
                throw Bad($"Unrecognized argument method.{property.Name} (only 'type' and 'reinforcement' are accepted).", "method." + property.Name, "unknown_parameter");
        }
        var reinforcement = Required(method, "reinforcement", JsonValueKind.Object, "method.reinforcement");
        foreach (var property in reinforcement.EnumerateObject())
        {
            if (!ReinforcementFields.Contains(property.Name))
                throw Bad($"Unrecognized argument method.reinforcement.{property.Name}.", "method.reinforcement." + property.Name, "unknown_parameter");
        }
        var grader = Required(reinforcement, "grader", JsonValueKind.Object, "method.reinforcement.grader");
        try
        {
            GraderApi.Validate(grader);
        }
        catch (GraderValidationException e)
        {
            var path = e.Errors.Count > 0 ? e.Errors[0].Path.TrimStart('$') : "";
            throw Bad(e.Message, "method.reinforcement.grader" + path, "invalid_grader");
        }

        return new FineTuningJobRequest
        {
            Model = Text(body, "model", required: true)!,
            TrainingFile = Text(body, "training_file", required: true)!,
            ValidationFile = Text(body, "validation_file", required: true)
                ?? throw Bad("Missing required parameter: 'validation_file' (reinforcement jobs need one).", "validation_file", "missing_required_parameter"),
            Suffix = CheckSuffix(Text(body, "suffix", required: false)),
            Seed = SeedOf(body),
            Metadata = MetadataOf(body),
            Method = method.Clone(),
            Grader = grader.Clone(),
            OutputJsonRequired = ResponseFormatWantsJson(reinforcement),
            Hyperparameters = HyperparametersOf(reinforcement),
            Trainer = reinforcement.TryGetProperty("trainer", out var trainer) && trainer.ValueKind != JsonValueKind.Null
                ? TrainerKnobs.Parse(trainer) : new Dictionary<string, object?>(),
        };
    }

    /// <summary>Resolves the hyperparameters ("auto" rules of <see cref="OpenAiHyperparameters"/>) for a training file
    /// of <paramref name="trainingExamples"/> examples, then applies the trainer knobs; out-of-range values are 400s
    /// naming the field (the trainer knob when the problem is about one the request set).</summary>
    public RftTrainingConfig Resolve(RftTrainingConfig baseline, int trainingExamples, TrainingLimits? limits = null)
    {
        RftTrainingConfig config;
        try
        {
            config = Hyperparameters.Resolve(baseline, trainingExamples, Seed);
        }
        catch (ArgumentException e)
        {
            var field = HyperparameterField().Match(e.Message);
            throw Bad(e.Message, "method.reinforcement." + (field.Success ? field.Value : "hyperparameters"), "invalid_value");
        }
        config = TrainerKnobs.Apply(config, Trainer);
        var problems = config.Validate();
        if (problems.Count > 0)
        {
            var knob = problems.Select(TrainerKnobs.KnobOfProblem).FirstOrDefault(k => k is not null && Trainer.ContainsKey(k));
            throw knob is not null
                ? Bad($"Invalid {TrainerKnobs.Param}.{knob}: " + string.Join("; ", problems), $"{TrainerKnobs.Param}.{knob}", "invalid_value")
                : Bad("Invalid hyperparameters: " + string.Join("; ", problems), "method.reinforcement.hyperparameters", "invalid_value");
        }
        TrainingLimitsCheck.Enforce(config, trainingExamples, limits ?? TrainingLimits.Default, Trainer.Keys);
        return config;
    }

    private static OpenAiHyperparameters HyperparametersOf(JsonElement reinforcement)
    {
        if (!reinforcement.TryGetProperty("hyperparameters", out var h) || h.ValueKind == JsonValueKind.Null) return new OpenAiHyperparameters();
        if (h.ValueKind != JsonValueKind.Object)
            throw Bad("method.reinforcement.hyperparameters must be an object.", "method.reinforcement.hyperparameters", "invalid_type");
        foreach (var property in h.EnumerateObject())
        {
            if (!HyperparameterFields.Contains(property.Name))
                throw Bad($"Unrecognized hyperparameter '{property.Name}'.", "method.reinforcement.hyperparameters." + property.Name, "unknown_parameter");
            bool ok = property.Name == "reasoning_effort"
                ? property.Value.ValueKind == JsonValueKind.String
                : property.Value.ValueKind == JsonValueKind.Number || property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() == "auto";
            if (!ok)
                throw Bad($"method.reinforcement.hyperparameters.{property.Name} must be {(property.Name == "reasoning_effort" ? "a string" : "\"auto\" or a number")}.",
                    "method.reinforcement.hyperparameters." + property.Name, "invalid_type");
        }
        return OpenAiHyperparameters.FromJson(JsonNode.Parse(h.GetRawText())!.AsObject());
    }

    private static bool ResponseFormatWantsJson(JsonElement reinforcement)
    {
        if (!reinforcement.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null) return false;
        const string param = "method.reinforcement.response_format";
        if (format.ValueKind != JsonValueKind.Object) throw Bad($"{param} must be an object.", param, "invalid_type");
        var type = Required(format, "type", JsonValueKind.String, param + ".type").GetString();
        switch (type)
        {
            case "text":
                return false;
            case "json_schema":
                var schema = Required(format, "json_schema", JsonValueKind.Object, param + ".json_schema");
                Required(schema, "schema", JsonValueKind.Object, param + ".json_schema.schema");
                return true;
            default:
                throw Bad($"{param}.type must be 'text' or 'json_schema', not '{type}'.", param + ".type", "invalid_value");
        }
    }

    private static string? CheckSuffix(string? suffix)
    {
        if (suffix is null) return null;
        if (suffix.Length > 64 || !SuffixPattern().IsMatch(suffix))
            throw Bad("suffix must be 1-64 characters of letters, digits, '-', '_' or '.'.", "suffix", "invalid_value");
        return suffix;
    }

    private static long SeedOf(JsonElement body)
    {
        if (!body.TryGetProperty("seed", out var seed) || seed.ValueKind == JsonValueKind.Null)
            return RandomNumberGenerator.GetInt32(int.MaxValue); // reported in the job object, so the run is repeatable
        if (seed.ValueKind != JsonValueKind.Number || !seed.TryGetInt32(out var value) || value < 0)
            throw Bad($"seed must be an integer between 0 and {int.MaxValue}.", "seed", "invalid_value");
        return value;
    }

    private static Dictionary<string, string>? MetadataOf(JsonElement body)
    {
        if (!body.TryGetProperty("metadata", out var metadata) || metadata.ValueKind == JsonValueKind.Null) return null;
        if (metadata.ValueKind != JsonValueKind.Object) throw Bad("metadata must be an object of strings.", "metadata", "invalid_type");
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in metadata.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
                throw Bad($"metadata.{property.Name} must be a string.", "metadata." + property.Name, "invalid_type");
            if (property.Name.Length > 64 || property.Value.GetString()!.Length > 512)
                throw Bad("metadata keys are at most 64 and values at most 512 characters.", "metadata." + property.Name, "invalid_value");
            pairs[property.Name] = property.Value.GetString()!;
        }
        if (pairs.Count > 16) throw Bad("metadata has at most 16 pairs.", "metadata", "invalid_value");
        return pairs;
    }

    private static string? Text(JsonElement body, string name, bool required)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw Bad($"Missing required parameter: '{name}'.", name, "missing_required_parameter") : null;
        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0)
            throw Bad($"'{name}' must be a non-empty string.", name, "invalid_type");
        return value.GetString();
    }

    private static JsonElement Required(JsonElement parent, string name, JsonValueKind kind, string param)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            throw Bad($"Missing required parameter: '{param}'.", param, "missing_required_parameter");
        if (value.ValueKind != kind)
            throw Bad($"'{param}' must be {(kind == JsonValueKind.Object ? "an object" : "a string")}.", param, "invalid_type");
        return value;
    }

    private static ApiException Bad(string message, string param, string code) => ApiException.BadRequest(message, param, code);

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex SuffixPattern();

    [GeneratedRegex(@"hyperparameters\.[a-z_]+")]
    private static partial Regex HyperparameterField();
}
