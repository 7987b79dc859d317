using RftFunctions.Functions.Api.Auth;
using RftFunctions.Functions.Hosting;

namespace RftFunctions.Functions.Cli;

/// <summary>
/// The <c>rft</c> command line. Exit codes: 0 ok, 1 failure (the API refused, the host is unreachable), 2 usage.
/// <c>rft COMMAND --help</c> prints a command's usage. With no command (or only options) it serves, as before.
/// </summary>
public static class RftCommandLine
{
    /// <summary>One command: its name, one-line summary, usage text and handler.</summary>
    private sealed record Command(string Name, string Summary, string Usage, Func<string[], CancellationToken, Task<int>> Run);

    private static readonly Command[] Commands =
    [
        new("serve", "run the host (API, dashboard, triggers, durable runtime); 'host' is an alias", ServeCommand.ServeUsage, (a, c) => RftHost.RunAsync(a, c)),
        new("worker", "run a durable worker (every orchestrator and activity, no API)", ServeCommand.WorkerUsage, ServeCommand.WorkerAsync),
        new("demo", "moved out of the production app: dotnet run --project src/RftFunctions.Demo", DemoMovedUsage, RunDemoAsync),
        new("files", "upload/list/get/content/delete datasets", FilesCommand.Usage, FilesCommand.RunAsync),
        new("jobs", "create/list/get/events/watch/pause/resume/cancel fine-tuning jobs", JobsCommand.Usage, JobsCommand.RunAsync),
        new("checkpoints", "list a job's checkpoints", CheckpointsCommand.Usage, CheckpointsCommand.RunAsync),
        new("graders", "validate a grader file or run it on one sample", GradersCommand.Usage, GradersCommand.RunAsync),
        new("models", "list/get/delete models; register a local model folder", ModelsCliCommand.Usage, ModelsCliCommand.RunAsync),
        new("chat", "one chat completion (JSON, --text or --stream)", ChatCommand.Usage, ChatCommand.RunAsync),
        new("keys", "API keys in storage: create (--project P | --admin) | list [--project P | --admin] | revoke KEY_ID", KeysUsage, (a, _) => KeysCommand.RunAsync(a)),
        new("doctor", "check that TorchSharp computes and the storage answers (JSON; exit 1 on failure)", "usage: rft doctor [--no-storage] [--host URL]   (RFT_ADMIN_KEY: the admin key for the host's full report)", (a, _) => DoctorCommand.RunAsync(a)),
    ];

    private const string KeysUsage = """
        usage: rft keys create --project P     prints the new key once (store it: only its hash is kept)
               rft keys create --admin         prints a new operator key once: it opens the durable management
                                               API and /healthz details, never /v1 (docs/security.md)
               rft keys list [--project P | --admin]   ids, projects and hints
               rft keys revoke KEY_ID
        Works on the configured storage directly (AzureWebJobsStorage), like the host; no running host needed.
        """;

    /// <summary>The overall usage text.</summary>
    public static string Usage =>
        "usage: rft COMMAND [options]   (rft COMMAND --help for details)\n\ncommands:\n"
        + string.Join('\n', Commands.Select(c => $"  {c.Name,-12}{c.Summary}"))
        + "\n\nAPI commands talk to a running host: --url or RFT_URL/OPENAI_BASE_URL (default http://127.0.0.1:7071),\n"
        + "--key or OPENAI_API_KEY; they print the API's JSON (pipe into jq). Exit codes: 0 ok, 1 failure, 2 usage.";

    public static async Task<int> RunAsync(string[] args)
    {
        // Options only (or nothing): serve, as 'rft --urls ...' always did.
        if (args.Length == 0 || (args[0].StartsWith('-') && args[0] is not ("--help" or "-h")))
            return await RftHost.RunAsync(args);
        var name = args[0].ToLowerInvariant();
        if (name is "help" or "--help" or "-h")
        {
            var topic = args.Length > 1 ? Find(args[1]) : null;
            Console.WriteLine(topic?.Usage ?? Usage);
            return 0;
        }
        var command = Find(name);
        if (command is null)
        {
            await Console.Error.WriteLineAsync($"rft: unknown command '{args[0]}'.\n{Usage}");
            return 2;
        }
        var rest = args[1..];
        if (rest.Any(a => a is "--help" or "-h"))
        {
            Console.WriteLine(command.Usage);
            return 0;
        }
        using var cancel = new CancellationTokenSource();
        // Ctrl+C ends a watch or a stream cleanly; the host installs its own handling.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        // The demo too: Ctrl+C ends its run (and the host inside it) through the token.
        if (command.Name is not ("serve" or "worker")) Console.CancelKeyPress += onCancel;
        try
        {
            return await command.Run(rest, cancel.Token);
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"rft {command.Name}: {e.Message}\n{command.Usage}");
            return 2;
        }
        catch (CliFailureException e)
        {
            await Console.Error.WriteLineAsync($"rft {command.Name}: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"rft {command.Name}: interrupted");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static Command? Find(string name) =>
        name == "host" ? Commands[0] : Commands.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private const string DemoMovedUsage = """
        The demos are their own program now (the production app ships no demo code):
          dotnet run --project src/RftFunctions.Demo -- [genes|compliance] [options]
        """;

    /// <summary>Says where the demo went, so an old command line gets a pointer rather than "unknown command".</summary>
    private static async Task<int> RunDemoAsync(string[] args, CancellationToken cancellationToken)
    {
        await Console.Error.WriteLineAsync("rft demo: " + DemoMovedUsage);
        return 2;
    }
}
