using RftFunctions.Training.Demo;

namespace RftFunctions.Functions.Demo;

/// <summary>A demo run: its seed, its science (<see cref="DemoRecipe"/>) and where files go.</summary>
public sealed record DemoOptions
{
    /// <summary>Seed of the ontology, the cases, the base model and the RFT job.</summary>
    public long Seed { get; init; } = 7;

    /// <summary>Every science knob: ontology, cases, base model, case counts and the job's training config.</summary>
    public DemoRecipe Recipe { get; init; } = DemoRecipe.Default;

    /// <summary>Where the report goes (a new folder under the current directory by default).</summary>
    public string? ReportDirectory { get; init; }

    /// <summary>Where base models are cached (the user's cache folder by default).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>RFT steps (from the recipe's cases, prompts per step and epochs, as the job computes them).</summary>
    public int Steps => Recipe.Steps;

    /// <summary>Parses <c>--train-cases N --valid-cases N --epochs N --eval-every N --seed N --out DIR --cache DIR</c>.</summary>
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
            var recipe = options.Recipe;
            options = args[i] switch
            {
                "--train-cases" or "--cases" => options with { Recipe = recipe with { TrainCases = Int() } },
                "--valid-cases" => options with { Recipe = recipe with { ValidCases = Int() } },
                "--epochs" => options with { Recipe = recipe with { Training = recipe.Training with { Epochs = Int() } } },
                "--eval-every" => options with { Recipe = recipe with { Training = recipe.Training with { EvalInterval = Int() } } },
                "--seed" => options with { Seed = Int() },
                "--out" => options with { ReportDirectory = Value() },
                "--cache" => options with { CacheDirectory = Value() },
                _ => throw new ArgumentException($"unknown demo option '{args[i]}' (known: --cases, --valid-cases, --epochs, --eval-every, --seed, --out, --cache)"),
            };
        }
        return options;
    }
}
