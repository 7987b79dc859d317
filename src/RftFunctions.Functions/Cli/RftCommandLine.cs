using RftFunctions.Functions.Hosting;

namespace RftFunctions.Functions.Cli;

/// <summary>The <c>rft</c> command line: <c>host</c> (the default) runs the service; <c>demo</c> runs the main job;
/// <c>doctor</c> checks the machine.</summary>
public static class RftCommandLine
{
    private const string Usage = """
        usage: rft [command] [options]

        commands:
          host    run the RftFunctions host with all roles (default); options: --urls, --Rft:Roles=..., any setting
          demo    the end-to-end demo (until it lands: starts the host against embedded Azurite)
          doctor  check that TorchSharp computes and the configured storage answers (JSON; exit 1 on failure);
                  --no-storage checks TorchSharp only
          keys    API keys: keys create --project P | keys list [--project P] | keys revoke KEY_ID
          models  models register --name N --path DIR [--project P] | models list [--project P]
          help    this text
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0].ToLowerInvariant() : "host";
        var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
        switch (command)
        {
            case "host":
                return await RftHost.RunAsync(rest);
            case "demo":
                Console.WriteLine("The gene-ranking demo has not landed yet (issue #8). Starting the host with all roles against " +
                                  "embedded Azurite instead; GET /healthz to check it, Ctrl+C to stop.");
                return await RftHost.RunAsync(rest);
            case "doctor":
                return await DoctorCommand.RunAsync(rest);
            case "keys":
                return await Api.Auth.KeysCommand.RunAsync(rest);
            case "models":
                return await Api.Models.ModelsCommand.RunAsync(rest);
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                await Console.Error.WriteLineAsync($"rft: unknown command '{command}'.\n{Usage}");
                return 2;
        }
    }
}
