using RftFunctions.Functions.Hosting;

namespace RftFunctions.Functions.Cli;

/// <summary><c>rft serve</c> (alias <c>host</c>) runs the host; <c>rft worker</c> runs a durable worker only (no API),
/// for a node that adds capacity.</summary>
public static class ServeCommand
{
    public const string ServeUsage = """
        usage: rft serve [--urls URL] [--Rft:Roles=all|api|worker] [--Setting=value ...]
        Runs the RftFunctions host: the /v1 API, /docs, /healthz, the blob trigger and the durable runtime, against the
        storage in AzureWebJobsStorage (embedded Azurite for UseDevelopmentStorage=true). Settings come from host.json,
        local.settings.json, environment variables (Rft__Roles, ASPNETCORE_URLS) and --Key=value arguments.
        Default URL http://127.0.0.1:7071 (local.settings.json Host.LocalHttpPort). 'rft host' is the same command.
        """;

    public const string WorkerUsage = """
        usage: rft worker [--urls URL] [--Setting=value ...]
        Runs a durable worker: every orchestrator and activity of the app (no API). Point it at the same storage as the
        main host (AzureWebJobsStorage); workers share the task hub's queues, so add as many as you like. Device-bound
        work (rollouts, policy updates) runs one at a time per worker on its Rft:Device. It serves /healthz on --urls
        (default: a free loopback port, so it can run beside 'rft serve').
        """;

    /// <summary>Runs <c>rft worker</c>.</summary>
    public static Task<int> WorkerAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Any(a => a.StartsWith("--pools", StringComparison.Ordinal)))
            throw new UsageException("--pools is gone: every worker runs every orchestrator and activity (one work-item queue)");
        if (args.Any(a => a.StartsWith("--Rft:Roles", StringComparison.OrdinalIgnoreCase)))
            throw new UsageException("rft worker sets its role itself; do not pass --Rft:Roles");
        // Roles on the command line win over local.settings.json and the environment (FunctionsConfiguration order).
        var rest = new List<string>(args) { "--Rft:Roles=worker" };
        if (!rest.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")))
            rest.AddRange(["--urls", "http://127.0.0.1:0"]);
        return RftHost.RunAsync([.. rest], cancellationToken);
    }
}
