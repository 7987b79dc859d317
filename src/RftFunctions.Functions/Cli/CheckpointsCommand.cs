namespace RftFunctions.Functions.Cli;

/// <summary><c>rft checkpoints list JOB_ID</c>: a job's kept checkpoints (each is a model id to chat with).</summary>
public static class CheckpointsCommand
{
    public const string Usage = """
        usage: rft checkpoints list JOB_ID [--limit N] [--after CHECKPOINT_ID]
        options: --url URL (or RFT_URL / OPENAI_BASE_URL; default http://127.0.0.1:7071), --key KEY (or OPENAI_API_KEY)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0 || args[0] != "list") throw new UsageException(args.Length == 0 ? "missing verb (list)" : $"unknown verb '{args[0]}'");
        var parsed = CliArgs.Parse(args[1..], [.. ApiClient.ConnectionOptions, "limit", "after"]);
        var id = Uri.EscapeDataString(parsed.Single("JOB_ID"));
        using var client = ApiClient.Create(parsed);
        ApiClient.Print(await client.GetAsync($"v1/fine_tuning/jobs/{id}/checkpoints" + Query.Of(parsed, "limit", "after"), cancellationToken));
        return 0;
    }
}
