namespace RftFunctions.Demo.Compliance;

/// <summary>A compliance demo run: its seed, its science (<see cref="ComplianceRecipe"/>), where files go and how the host is set up.</summary>
public sealed record ComplianceOptions
{
    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: rft-demo compliance [--reduced] [--train-items N] [--held-out-items N] [--epochs N] [--seed N]
                                   [--out DIR] [--cache DIR] [--threads N] [--urls URL] [--Setting=value ...]
        Runs the compliance RFT demo through the platform: a seeded security policy (clauses: an action on a kind of data
        and its verdict), requests to judge, answers in a fixed JSON shape ({"compliant": "yes"|"no"|"needs review",
        "explanation": ...}) trained with response_format json_schema and graded by a multi grader (string_check on the
        verdict from sample.output_json, a python grader checking that the explanation cites the right clause). Held-out
        requests are about clauses no training request is about. Measures held-out verdict accuracy and explanation
        score through /v1/chat/completions before and after, and writes a report folder (rft-demo-compliance-TIME in the
        current folder unless --out). --reduced runs the CI-sized recipe. The last line is 'report: <folder>'.
        """;

    /// <summary>Seed of the policy, the requests, the base model and the RFT job.</summary>
    public long Seed { get; init; } = 7;

    /// <summary>Every science knob.</summary>
    public ComplianceRecipe Recipe { get; init; } = ComplianceRecipe.Default;

    /// <summary>Where the report goes (a new folder under the current directory by default).</summary>
    public string? ReportDirectory { get; init; }

    /// <summary>Where base models are cached (the user's cache folder by default).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Settings for the host, command-line style (<c>--urls URL</c>, <c>--Key=value</c>).</summary>
    public IReadOnlyList<string> HostSettings { get; init; } = [];

    /// <summary>Parses the options of <see cref="Usage"/>.</summary>
    public static ComplianceOptions Parse(IReadOnlyList<string> args)
    {
        var options = new ComplianceOptions();
        var recipe = ComplianceRecipe.Default;
        // Edits apply after the recipe is chosen, so the order of --reduced and the others does not matter.
        var edits = new List<Func<ComplianceRecipe, ComplianceRecipe>>();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"option {args[i]} needs a value");
            int Int(int max)
            {
                var name = args[i];
                var v = Value();
                return int.TryParse(v, out var n) && n > 0 && n <= max ? n : throw new ArgumentException($"option {name} needs an integer from 1 to {max}, got '{v}'");
            }
            switch (args[i])
            {
                case "--reduced": recipe = ComplianceRecipe.Reduced; break;
                case "--train-items": { var n = Int(10_000); edits.Add(r => r with { TrainItems = n }); break; }
                case "--held-out-items": { var n = Int(10_000); edits.Add(r => r with { HeldOutItems = n }); break; }
                case "--epochs": { var n = Int(100); edits.Add(r => r with { Training = r.Training with { Epochs = n } }); break; }
                case "--seed": options = options with { Seed = Int(int.MaxValue) }; break;
                case "--out": options = options with { ReportDirectory = Value() }; break;
                case "--cache": options = options with { CacheDirectory = Value() }; break;
                case "--urls": options = options with { HostSettings = [.. options.HostSettings, "--urls", Value()] }; break;
                case var setting when setting.StartsWith("--", StringComparison.Ordinal) && setting.Contains('=', StringComparison.Ordinal):
                    options = options with { HostSettings = [.. options.HostSettings, setting] };
                    break;
                default:
                    throw new ArgumentException($"unknown compliance option '{args[i]}' (known: --reduced, --train-items, --held-out-items, --epochs, --seed, --out, --cache, --urls, --Setting=value)");
            }
        }
        return options with { Recipe = edits.Aggregate(recipe, (r, edit) => edit(r)) };
    }
}
