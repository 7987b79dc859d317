using RftFunctions.Functions.Hosting;

namespace RftFunctions.Functions.Cli;

/// <summary>What <c>rft demo</c> does until the gene-ranking demo lands: the host with all roles on embedded Azurite.</summary>
public static class DemoFallback
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.WriteLine("The gene-ranking demo has not landed yet (issue #8). Starting the host with all roles against " +
                          "embedded Azurite instead; GET /healthz to check it, Ctrl+C to stop.");
        return RftHost.RunAsync(args);
    }
}
