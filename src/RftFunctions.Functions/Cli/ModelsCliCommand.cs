namespace RftFunctions.Functions.Cli;

/// <summary>
/// <c>rft models</c>: <c>list</c>, <c>get</c> and <c>delete</c> ask the API (the key's project); <c>register</c> and
/// <c>list --project P</c> are operator verbs that work on the configured storage directly
/// (<see cref="Api.Models.ModelsCommand"/>), since registration uploads a local folder.
/// </summary>
public static class ModelsCliCommand
{
    public const string Usage = """
        usage: rft models list                       the key's project's models, through the API
               rft models get MODEL | rft models delete MODEL   (only ft: models can be deleted)
               rft models register --name N --path DIR [--project P]   upload a Hugging Face folder (config.json,
                                                     tokenizer.json, *.safetensors) into the configured storage
               rft models register --name N --blob CONTAINER/PREFIX [--project P]   register a folder already in
                                                     Blob Storage (same account), by reference
               rft models list --project P           list a project's models straight from storage (operators)
        options: --url URL (or RFT_URL / OPENAI_BASE_URL; default http://127.0.0.1:7071), --key KEY (or OPENAI_API_KEY)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0) throw new UsageException("missing verb (list, get, delete or register)");
        var verb = args[0];
        if (verb == "register" || (verb == "list" && args.Contains("--project")))
        {
            var code = await Api.Models.ModelsCommand.RunAsync(args);
            // The storage verb prints its own usage line; the exit code keeps its meaning.
            return code;
        }
        switch (verb)
        {
            case "list":
                {
                    var parsed = CliArgs.Parse(args[1..], ApiClient.ConnectionOptions);
                    parsed.NoPositionals();
                    using var client = ApiClient.Create(parsed);
                    ApiClient.Print(await client.GetAsync("v1/models", cancellationToken));
                    return 0;
                }
            case "get" or "delete":
                {
                    var parsed = CliArgs.Parse(args[1..], ApiClient.ConnectionOptions);
                    // Model ids may contain '/' (Qwen/Qwen3-0.6B): escape each segment, keep the slashes.
                    var id = string.Join('/', parsed.Single("MODEL").Split('/').Select(Uri.EscapeDataString));
                    using var client = ApiClient.Create(parsed);
                    ApiClient.Print(await client.SendAsync(verb == "get" ? HttpMethod.Get : HttpMethod.Delete, $"v1/models/{id}", null, cancellationToken));
                    return 0;
                }
            default:
                throw new UsageException($"unknown verb '{verb}'");
        }
    }
}
