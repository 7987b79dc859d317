using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RftFunctions.Training.Config;
using RftFunctions.Training.Monitors;

namespace RftFunctions.Functions.Api.FineTuning;

/// <summary>
/// Our extension of the create request, <c>method.reinforcement.trainer</c>: an object of <see cref="RftTrainingConfig"/>
/// knobs by snake_case name (<c>learning_rate</c>, <c>mode</c>, <c>max_completion_tokens</c>, ...), applied after
/// OpenAI's hyperparameters have been resolved. OpenAI's hyperparameters cannot ask for full fine-tuning, an absolute
/// learning rate or short completions; this can, without changing what OpenAI's fields mean. Each value is checked
/// for its type here and for its range by <see cref="RftTrainingConfig.Validate"/>; a problem is a 400 naming
/// <c>method.reinforcement.trainer.NAME</c>.
/// </summary>
public static class TrainerKnobs
{
    /// <summary>The request field the knobs travel in.</summary>
    public const string Param = "method.reinforcement.trainer";

    // The seed is the request's top-level field; fault injection is for tests only and never part of a user's request.
    private static readonly HashSet<string> NotKnobs = new(StringComparer.Ordinal)
    { nameof(RftTrainingConfig.Seed), nameof(RftTrainingConfig.InjectNonFiniteLossAtSteps) };

    /// <summary>Enums are written as snake_case names (<c>"full"</c>, <c>"group_mean"</c>); unknown members of an
    /// object knob (<c>budget</c>) are refused rather than ignored.</summary>
    private static readonly JsonSerializerOptions ValueOptions = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Every knob by snake_case name.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Knobs { get; } = typeof(RftTrainingConfig)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && !NotKnobs.Contains(p.Name))
        .ToDictionary(p => NameOf(p.Name), StringComparer.Ordinal);

    /// <summary>The snake_case request name of a config property.</summary>
    public static string NameOf(string propertyName) => JsonNamingPolicy.SnakeCaseLower.ConvertName(propertyName);

    /// <summary>Reads and type-checks the <c>trainer</c> object; returns the values by knob name.</summary>
    public static IReadOnlyDictionary<string, object?> Parse(JsonElement trainer)
    {
        if (trainer.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest($"{Param} must be an object of trainer settings by name.", Param, "invalid_type");
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in trainer.EnumerateObject())
        {
            var param = $"{Param}.{property.Name}";
            if (!Knobs.TryGetValue(property.Name, out var knob))
                throw ApiException.BadRequest($"Unrecognized trainer setting '{property.Name}' (known: {string.Join(", ", Knobs.Keys.Order(StringComparer.Ordinal))}).", param, "unknown_parameter");
            var type = Nullable.GetUnderlyingType(knob.PropertyType) ?? knob.PropertyType;
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                // null means "unset" only where the knob itself may be absent (the budget); elsewhere it is a mistake.
                if (knob.PropertyType != typeof(ComputeBudget))
                    throw ApiException.BadRequest($"{param} must be {Describe(type)}, not null.", param, "invalid_type");
                values[property.Name] = null;
                continue;
            }
            if (knob.PropertyType == typeof(MonitorPolicy))
            {
                // Its own parser names the detector or value at fault (method.reinforcement.trainer.monitors.NAME).
                try
                {
                    values[property.Name] = MonitorPolicy.Parse(property.Value, param);
                }
                catch (ArgumentException e)
                {
                    throw ApiException.BadRequest(e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal), e.ParamName ?? param, "invalid_value");
                }
                continue;
            }
            try
            {
                values[property.Name] = property.Value.Deserialize(knob.PropertyType, ValueOptions);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                throw ApiException.BadRequest($"{param} must be {Describe(type)}, not {property.Value.GetRawText()}.", param, "invalid_type");
            }
            if (values[property.Name] is IEnumerable<string?> names && names.Any(string.IsNullOrWhiteSpace))
                throw ApiException.BadRequest($"{param} must be an array of non-empty strings.", param, "invalid_value");
        }
        return values;
    }

    /// <summary><paramref name="config"/> with the knobs set (the knobs' ranges are checked by the caller through
    /// <see cref="RftTrainingConfig.Validate"/>).</summary>
    public static RftTrainingConfig Apply(RftTrainingConfig config, IReadOnlyDictionary<string, object?> values)
    {
        var copy = config with { };
        // Init-only setters are ordinary setters to reflection; the copy is ours, so setting them is safe.
        foreach (var (name, value) in values) Knobs[name].SetValue(copy, value);
        return WithGspoRecipe(copy, values);
    }

    /// <summary>
    /// Choosing sequence-level importance (GSPO) brings GSPO's recipe for every part of it the request left unset, as
    /// TRL's GSPO example configures it (Zheng et al. 2025; TRL docs "GSPO": epsilon=3e-4, epsilon_high=4e-4,
    /// loss_type="grpo", steps_per_generation=4 with gradient_accumulation_steps=1, i.e. 4 mini-batches): a sequence
    /// ratio is a geometric mean within ~1e-3 of 1, so token-level epsilons would never clip it, and with one
    /// optimiser step per batch nothing is off-policy to clip. Values the request set stay, and
    /// <see cref="RftTrainingConfig.Validate"/> names an inconsistent mix.
    /// </summary>
    private static RftTrainingConfig WithGspoRecipe(RftTrainingConfig config, IReadOnlyDictionary<string, object?> values)
    {
        if (!values.TryGetValue(NameOf(nameof(RftTrainingConfig.Importance)), out var importance)
            || importance is not Training.Grpo.ImportanceLevel.Sequence) return config;
        bool Unset(string property) => !values.ContainsKey(NameOf(property));
        return config with
        {
            ClipEpsilonLow = Unset(nameof(RftTrainingConfig.ClipEpsilonLow)) ? 3e-4 : config.ClipEpsilonLow,
            ClipEpsilonHigh = Unset(nameof(RftTrainingConfig.ClipEpsilonHigh)) ? 4e-4 : config.ClipEpsilonHigh,
            LossAggregation = Unset(nameof(RftTrainingConfig.LossAggregation)) ? Training.Grpo.LossAggregation.Grpo : config.LossAggregation,
            MiniBatches = Unset(nameof(RftTrainingConfig.MiniBatches)) ? Math.Max(1, Math.Min(4, config.PromptsPerStep * config.SamplesPerPrompt)) : config.MiniBatches,
        };
    }

    /// <summary>
    /// The <c>trainer</c> object that turns <paramref name="resolved"/> (what the hyperparameters alone give) into
    /// <paramref name="wanted"/>: every knob whose value differs, in request form. A client that has a whole config
    /// (the demo's recipe) sends this next to the hyperparameters that express the rest.
    /// </summary>
    public static JsonObject Difference(RftTrainingConfig resolved, RftTrainingConfig wanted)
    {
        var trainer = new JsonObject();
        foreach (var (name, knob) in Knobs.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            var want = JsonSerializer.SerializeToNode(knob.GetValue(wanted), knob.PropertyType, ValueOptions);
            var have = JsonSerializer.SerializeToNode(knob.GetValue(resolved), knob.PropertyType, ValueOptions);
            if (!JsonNode.DeepEquals(want, have)) trainer[name] = want;
        }
        return trainer;
    }

    /// <summary>The request name a <see cref="RftTrainingConfig.Validate"/> problem is about (its first word, e.g.
    /// <c>LearningRate must be positive</c> or <c>Budget.MaxTokens ...</c>), or null.</summary>
    public static string? KnobOfProblem(string problem)
    {
        var word = problem.Split(' ', 2)[0].Split('.')[0];
        return Knobs.ContainsKey(NameOf(word)) ? NameOf(word) : null;
    }

    private static string Describe(Type type) =>
        type == typeof(int) ? "an integer"
        : type == typeof(double) ? "a number"
        : type == typeof(bool) ? "true or false"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type).Select(n => $"\"{NameOf(n)}\""))
        : type == typeof(ComputeBudget) ? "an object {\"max_tokens\": integer, \"max_wall_seconds\": number} or null"
        : typeof(IEnumerable<string>).IsAssignableFrom(type) ? "an array of strings"
        : "a " + type.Name;
}
