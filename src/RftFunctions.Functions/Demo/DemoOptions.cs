using RftFunctions.Training.Demo;

namespace RftFunctions.Functions.Demo;

/// <summary>The demo's knobs; defaults are the configuration measured in the README.</summary>
public sealed record DemoOptions
{
    /// <summary>Seed of the ontology, the cases, the base model and the RFT job.</summary>
    public long Seed { get; init; } = 7;

    /// <summary>RFT steps. Measured: held-out Top-1 peaks around step 10 and then falls as the policy drifts towards
    /// training genes, so the demo stops there.</summary>
    public int Steps { get; init; } = 10;

    /// <summary>Training cases (training genes only).</summary>
    public int TrainCases { get; init; } = 200;

    /// <summary>Held-out validation cases (validation genes only).</summary>
    public int ValidCases { get; init; } = 45;

    /// <summary>Validate every this many steps (and at the last).</summary>
    public int EvalInterval { get; init; } = 5;

    /// <summary>RFT learning rate.</summary>
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>Where the report goes (a new folder under the current directory by default).</summary>
    public string? ReportDirectory { get; init; }

    /// <summary>Where base models are cached (the user's cache folder by default).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>The ontology.</summary>
    public OntologyOptions Ontology { get; init; } = new(Families: 8, FamilySize: 3, CorePhenotypes: 3, ValidationFamilies: 3);

    /// <summary>How cases are drawn.</summary>
    public CaseOptions Cases { get; init; } = new();

    /// <summary>How the base model is built.</summary>
    public DemoBaseModelOptions BaseModel { get; init; } = DemoBaseModelOptions.Default with
    {
        Size = DemoBaseModelOptions.Default.Size with { HiddenSize = 64, IntermediateSize = 128, Layers = 2 },
        PretrainSteps = 300,
        WarmupSteps = 200,
    };

    /// <summary>Parses <c>--steps N --train-cases N --valid-cases N --seed N --out DIR --cache DIR --eval-every N</c>.</summary>
    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DemoOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"option {args[i]} needs a value");
            int Int()
            {
                var name = args[i];
                var v = Value();
                return int.TryParse(v, out var n) && n > 0 ? n : throw new ArgumentException($"option {name} needs a positive integer, got '{v}'");
            }
            options = args[i] switch
            {
                "--steps" => options with { Steps = Int() },
                "--train-cases" or "--cases" => options with { TrainCases = Int() },
                "--valid-cases" => options with { ValidCases = Int() },
                "--eval-every" => options with { EvalInterval = Int() },
                "--seed" => options with { Seed = Int() },
                "--out" => options with { ReportDirectory = Value() },
                "--cache" => options with { CacheDirectory = Value() },
                _ => throw new ArgumentException($"unknown demo option '{args[i]}' (known: --steps, --cases, --valid-cases, --eval-every, --seed, --out, --cache)"),
            };
        }
        return options;
    }
}
