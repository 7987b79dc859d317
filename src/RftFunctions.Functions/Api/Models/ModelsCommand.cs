using RftFunctions.Functions.Api.Auth;

namespace RftFunctions.Functions.Api.Models;

/// <summary><c>rft models register --name N (--path DIR | --blob CONTAINER/PREFIX) [--project P]</c> and
/// <c>rft models list [--project P]</c>,
/// directly against the configured storage; the project defaults to the development project.</summary>
public static class ModelsCommand
{
    /// <summary>Runs the verb; exit code 0 on success, 1 on failure, 2 on bad usage.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        const string usage = "usage: rft models register --name N (--path DIR | --blob CONTAINER/PREFIX) [--project P] | rft models list [--project P]";
        if (args.Length == 0 || args[0] is not ("register" or "list"))
        {
            await Console.Error.WriteLineAsync(usage);
            return 2;
        }
        ApiOptions? options = null;
        var (registry, rest) = KeysCommand.Open(args[1..], (account, o) => new ModelRegistry(account, options = o));
        var project = KeysCommand.Option(rest, "--project") ?? options!.DevelopmentProject;
        try
        {
            if (args[0] == "list")
            {
                KeysCommand.Print(await registry.ListAsync(project, CancellationToken.None));
                return 0;
            }
            var name = KeysCommand.Option(rest, "--name");
            var path = KeysCommand.Option(rest, "--path");
            var blob = KeysCommand.Option(rest, "--blob");
            if (name is null || (path is null) == (blob is null))
            {
                await Console.Error.WriteLineAsync(usage);
                return 2;
            }
            KeysCommand.Print(blob is not null
                ? await registry.RegisterBlobAsync(project, name, blob, CancellationToken.None)
                : await registry.RegisterFolderAsync(project, name, Path.GetFullPath(path!), CancellationToken.None));
            return 0;
        }
        catch (ApiException e)
        {
            await Console.Error.WriteLineAsync($"rft models: {e.Message}");
            return 1;
        }
    }
}
