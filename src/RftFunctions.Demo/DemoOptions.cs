using RftFunctions.Demo.Genes;

namespace RftFunctions.Demo;

/// <summary>A demo run: its seed, its science (<see cref="DemoRecipe"/>), where files go and how the host is set up.</summary>
public sealed record DemoOptions
{
    /// <summary>The usage line.</summary>
    public const string Usage = """
        usage: rft-demo [genes] [--reduced] [--cases N] [--valid-cases N] [--epochs N] [--eval-every N] [--seed N]
                        [--out DIR] [--cache DIR] [--threads N] [--urls URL] [--Setting=value ...]
        Runs the gene-ranking RFT demo through the platform: starts the host with all roles (embedded Azurite for
        UseDevelopmentStorage=true), registers the cached base model from the models container, drops the datasets into
        the datasets container, creates the job with POST /v1/fine_tuning/jobs, shows its progress and the dashboard URL,
        measures held-out Top-1/5/Max through /v1/chat/completions before and after, and writes a report folder
        (rft-demo-TIME in the current folder unless --out).
        --reduced runs the CI-sized recipe; --threads sets TorchSharp's CPU threads (1). Host settings (--urls, --Rft:StoragePrefix=..., AzureWebJobsStorage) are read
        as 'rft serve' reads them. The last line is 'report: <folder>'.
        The compliance demo (structured output, response_format json_schema, multi grader): rft-demo compliance --help.
        """;

    /// <summary>Seed of the ontology, the cases, the base model and the RFT job.</summary>
    public long Seed { get; init; } = 7;

    /// <summary>Every science knob: ontology, cases, base model, case counts and the job's training config.</summary>
    public DemoRecipe Recipe { get; init; } = DemoRecipe.Default;

    /// <summary>Where the report goes (a new folder under the current directory by default).</summary>
    public string? ReportDirectory { get; init; }

    /// <summary>Where base models are cached (the user's cache folder by default).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Settings for the host, command-line style (<c>--urls URL</c>, <c>--Key=value</c>).</summary>
    public IReadOnlyList<string> HostSettings { get; init; } = [];

    /// <summary>RFT steps (from the recipe's cases, prompts per step and epochs, as the job computes them).</summary>
    public int Steps => Recipe.Steps;

    /// <summary>Parses the options of <see cref="Usage"/>.</summary>
    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DemoOptions();
        var recipe = DemoRecipe.Default;
        // Recipe edits apply after the recipe is chosen, so '--cases 20 --reduced' and '--reduced --cases 20' agree.
        var edits = new List<Func<DemoRecipe, DemoRecipe>>();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"option {args[i]} needs a value");
            int Int()
            {
                var name = args[i];
                var v = Value();
                return int.TryParse(v, out var n) && n > 0 ? n : throw new ArgumentException($"option {name} needs a positive integer, got '{v}'");
            }
            switch (args[i])
            {
                case "--help" or "-h": throw new ArgumentException("help");
                case "--reduced": recipe = DemoRecipe.Reduced; break;
                case "--train-cases" or "--cases": { var n = Int(); edits.Add(r => r with { TrainCases = n }); break; }
                case "--valid-cases": { var n = Int(); edits.Add(r => r with { ValidCases = n }); break; }
                case "--epochs": { var n = Int(); edits.Add(r => r with { Training = r.Training with { Epochs = n } }); break; }
                case "--eval-every": { var n = Int(); edits.Add(r => r with { Training = r.Training with { EvalInterval = n } }); break; }
                case "--seed": options = options with { Seed = Int() }; break;
                case "--out": options = options with { ReportDirectory = Value() }; break;
                case "--cache": options = options with { CacheDirectory = Value() }; break;
                case "--urls": options = options with { HostSettings = [.. options.HostSettings, "--urls", Value()] }; break;
                case var setting when setting.StartsWith("--", StringComparison.Ordinal) && setting.Contains('=', StringComparison.Ordinal):
                    options = options with { HostSettings = [.. options.HostSettings, setting] };
                    break;
                default:
                    throw new ArgumentException($"unknown demo option '{args[i]}' (known: --reduced, --cases, --valid-cases, --epochs, --eval-every, --seed, --out, --cache, --urls, --Setting=value)");
            }
        }
        return options with { Recipe = edits.Aggregate(recipe, (r, edit) => edit(r)) };
    }
}
