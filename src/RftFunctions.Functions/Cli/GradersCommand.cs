using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Functions.Cli;

/// <summary><c>rft graders validate|run</c>: check a grader file, or grade one sample with it, through the API.</summary>
public static class GradersCommand
{
    public const string Usage = """
        usage: rft graders validate GRADER.json
               rft graders run GRADER.json --sample TEXT [--item JSON | --item-file ITEM.json]
        GRADER.json holds one grader object (or {"grader": {...}}); prints the API's answer (exit 1 when it refuses the grader).
        options: --url URL (or RFT_URL / OPENAI_BASE_URL; default http://127.0.0.1:7071), --key KEY (or OPENAI_API_KEY)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0) throw new UsageException("missing verb (validate or run)");
        var verb = args[0];
        if (verb is not ("validate" or "run")) throw new UsageException($"unknown verb '{verb}'");
        var parsed = verb == "validate"
            ? CliArgs.Parse(args[1..], ApiClient.ConnectionOptions)
            : CliArgs.Parse(args[1..], [.. ApiClient.ConnectionOptions, "sample", "item", "item-file"]);
        var path = parsed.Single("GRADER.json");
        var sample = verb == "run" ? parsed.Required("sample") : null;
        var grader = JsonNode.Parse(JsonInput.Grader(path).GetRawText());
        var body = new JsonObject { ["grader"] = grader };
        if (verb == "run")
        {
            body["model_sample"] = sample;
            if (parsed.Option("item") is { } item && parsed.Option("item-file") is not null) throw new UsageException("give --item or --item-file, not both");
            var itemJson = parsed.Option("item") is { } text ? JsonInput.Object(text, "--item")
                : parsed.Option("item-file") is { } file ? JsonInput.ObjectFromFile(file, "item-file") : (JsonElement?)null;
            if (itemJson is { } value) body["item"] = JsonNode.Parse(value.GetRawText());
        }
        using var client = ApiClient.Create(parsed);
        using var document = JsonDocument.Parse(body.ToJsonString());
        ApiClient.Print(await client.PostJsonAsync($"v1/fine_tuning/alpha/graders/{verb}", document.RootElement, cancellationToken));
        return 0;
    }
}
