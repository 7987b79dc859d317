using System.Text.RegularExpressions;
using RftFunctions.Functions.Hosting;

namespace RftFunctions.Functions.Cli;

/// <summary><c>rft serve</c> (alias <c>host</c>) runs the host; <c>rft worker --pools gpu,cpu</c> runs only the activities
/// of the given worker pools (no API, no orchestrations), for a node that adds capacity.</summary>
public static partial class ServeCommand
{
    public const string ServeUsage = """
        usage: rft serve [--urls URL] [--Rft:Roles=all|api,orchestrations,pool:NAME] [--Setting=value ...]
        Runs the RftFunctions host: the /v1 API, /docs, /healthz, the blob trigger and the durable runtime, against the
        storage in AzureWebJobsStorage (embedded Azurite for UseDevelopmentStorage=true). Settings come from host.json,
        local.settings.json, environment variables (Rft__Roles, ASPNETCORE_URLS) and --Key=value arguments.
        Default URL http://127.0.0.1:7071 (local.settings.json Host.LocalHttpPort). 'rft host' is the same command.
        """;

    public const string WorkerUsage = """
        usage: rft worker --pools POOL[,POOL...] [--urls URL] [--Setting=value ...]
        Runs a host with only the activity roles of the named worker pools (e.g. gpu,cpu): no API, no orchestrations.
        Point it at the same storage as the main host (AzureWebJobsStorage). It serves /healthz on --urls (default: a
        free loopback port, so it can run beside 'rft serve').
        """;

    /// <summary>Runs <c>rft worker</c>.</summary>
    public static Task<int> WorkerAsync(string[] args, CancellationToken cancellationToken)
    {
        var rest = new List<string>();
        string? pools = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--pools") pools = i + 1 < args.Length ? args[++i] : throw new UsageException("option '--pools' needs a value");
            else if (args[i].StartsWith("--pools=", StringComparison.Ordinal)) pools = args[i]["--pools=".Length..];
            else rest.Add(args[i]);
        }
        if (pools is null) throw new UsageException("missing required option '--pools' (e.g. --pools gpu,cpu)");
        var names = pools.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new UsageException("--pools needs at least one pool name");
        foreach (var name in names)
            if (!PoolName().IsMatch(name)) throw new UsageException($"--pools: '{name}' is not a pool name (letters, digits, '-' and '_')");
        if (rest.Any(a => a.StartsWith("--Rft:Roles", StringComparison.OrdinalIgnoreCase)))
            throw new UsageException("rft worker sets the roles from --pools; do not pass --Rft:Roles");
        // Roles on the command line win over local.settings.json and the environment (FunctionsConfiguration order).
        rest.Add($"--Rft:Roles={string.Join(',', names.Select(n => "pool:" + n))}");
        if (!rest.Any(a => a.StartsWith("--urls", StringComparison.Ordinal)) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_URLS")))
            rest.AddRange(["--urls", "http://127.0.0.1:0"]);
        return RftHost.RunAsync([.. rest], cancellationToken);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex PoolName();
}
