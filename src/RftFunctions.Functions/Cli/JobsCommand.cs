using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Functions.Cli;

/// <summary><c>rft jobs ...</c>: the <c>/v1/fine_tuning/jobs</c> endpoints, plus <c>watch</c>, which follows a job to its end.</summary>
public static class JobsCommand
{
    public const string Usage = """
        usage: rft jobs create --model M --training-file FILE_ID --validation-file FILE_ID --grader GRADER.json
                               [--hyperparameters JSON] [--suffix S] [--seed N] [--response-format FORMAT.json] [--metadata k=v,...]
               rft jobs list [--limit N] [--after JOB_ID] [--metadata k=v]
               rft jobs get JOB_ID | rft jobs events JOB_ID [--limit N] [--after EVENT_ID]
               rft jobs watch JOB_ID [--interval SECONDS]   progress lines until the job ends (exit 0 succeeded, 1 failed/cancelled)
               rft jobs pause JOB_ID | rft jobs resume JOB_ID | rft jobs cancel JOB_ID
        --grader takes a file with one grader object (or {"grader": {...}}); --hyperparameters e.g. '{"n_epochs":1,"batch_size":4}'.
        options: --url URL (or RFT_URL / OPENAI_BASE_URL; default http://127.0.0.1:7071), --key KEY (or OPENAI_API_KEY)
        """;

    private const string Jobs = "v1/fine_tuning/jobs";

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0) throw new UsageException("missing verb (create, list, get, events, watch, pause, resume or cancel)");
        var verb = args[0];
        var rest = args[1..];
        switch (verb)
        {
            case "create":
                return await CreateAsync(CliArgs.Parse(rest, [.. ApiClient.ConnectionOptions, "model", "training-file", "validation-file", "grader", "hyperparameters", "suffix", "seed", "response-format", "metadata"]), cancellationToken);
            case "list":
                {
                    var parsed = CliArgs.Parse(rest, [.. ApiClient.ConnectionOptions, "limit", "after", "metadata"]);
                    parsed.NoPositionals();
                    var query = Query.Of(parsed, "limit", "after");
                    if (parsed.Option("metadata") is { } filter)
                    {
                        var (key, value) = Pair(filter);
                        query += (query.Length == 0 ? "?" : "&") + $"metadata[{Uri.EscapeDataString(key)}]={Uri.EscapeDataString(value)}";
                    }
                    using var client = ApiClient.Create(parsed);
                    ApiClient.Print(await client.GetAsync(Jobs + query, cancellationToken));
                    return 0;
                }
            case "get" or "pause" or "resume" or "cancel":
                {
                    var parsed = CliArgs.Parse(rest, ApiClient.ConnectionOptions);
                    var id = Uri.EscapeDataString(parsed.Single("JOB_ID"));
                    using var client = ApiClient.Create(parsed);
                    ApiClient.Print(verb == "get"
                        ? await client.GetAsync($"{Jobs}/{id}", cancellationToken)
                        : await client.SendAsync(HttpMethod.Post, $"{Jobs}/{id}/{verb}", null, cancellationToken));
                    return 0;
                }
            case "events":
                {
                    var parsed = CliArgs.Parse(rest, [.. ApiClient.ConnectionOptions, "limit", "after"]);
                    var id = Uri.EscapeDataString(parsed.Single("JOB_ID"));
                    using var client = ApiClient.Create(parsed);
                    ApiClient.Print(await client.GetAsync($"{Jobs}/{id}/events" + Query.Of(parsed, "limit", "after"), cancellationToken));
                    return 0;
                }
            case "watch":
                {
                    var parsed = CliArgs.Parse(rest, [.. ApiClient.ConnectionOptions, "interval"]);
                    var id = parsed.Single("JOB_ID");
                    var interval = parsed.Number("interval") ?? 2;
                    if (interval is <= 0 or > 3600) throw new UsageException("--interval must be between 0 and 3600 seconds");
                    using var client = ApiClient.Create(parsed);
                    return await JobWatcher.WatchAsync(client, id, TimeSpan.FromSeconds(interval), Console.Out, cancellationToken);
                }
            default:
                throw new UsageException($"unknown verb '{verb}'");
        }
    }

    private static async Task<int> CreateAsync(CliArgs args, CancellationToken cancellationToken)
    {
        args.NoPositionals();
        // Usage first (exit 2), then the files (exit 1): a wrong command line is reported before anything is read.
        var (model, training, validation, graderPath, seed) = (args.Required("model"), args.Required("training-file"),
            args.Required("validation-file"), args.Required("grader"), args.Integer("seed"));
        var reinforcement = new JsonObject { ["grader"] = JsonNode.Parse(JsonInput.Grader(graderPath).GetRawText()) };
        if (args.Option("hyperparameters") is { } hyperparameters)
            reinforcement["hyperparameters"] = JsonNode.Parse(JsonInput.Object(hyperparameters, "--hyperparameters").GetRawText());
        if (args.Option("response-format") is { } format)
            reinforcement["response_format"] = JsonNode.Parse(JsonInput.ObjectFromFile(format, "response-format").GetRawText());
        var body = new JsonObject
        {
            ["model"] = model,
            ["training_file"] = training,
            ["validation_file"] = validation,
            ["method"] = new JsonObject { ["type"] = "reinforcement", ["reinforcement"] = reinforcement },
        };
        if (args.Option("suffix") is { } suffix) body["suffix"] = suffix;
        if (seed is { } seedValue) body["seed"] = seedValue;
        if (args.Option("metadata") is { } metadata)
        {
            var pairs = new JsonObject();
            foreach (var pair in metadata.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var (key, value) = Pair(pair);
                pairs[key] = value;
            }
            body["metadata"] = pairs;
        }
        using var client = ApiClient.Create(args);
        using var document = JsonDocument.Parse(body.ToJsonString());
        ApiClient.Print(await client.PostJsonAsync(Jobs, document.RootElement, cancellationToken));
        return 0;
    }

    private static (string Key, string Value) Pair(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0) throw new UsageException($"--metadata expects key=value, got '{text}'");
        return (text[..equals], text[(equals + 1)..]);
    }

    /// <summary>Invariant formatting of a reward (3 decimals).</summary>
    internal static string Format(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}
