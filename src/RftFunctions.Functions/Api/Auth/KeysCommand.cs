using System.Text.Json;
using RftFunctions.Functions.Hosting;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Api.Auth;

/// <summary>
/// <c>rft keys create --project P</c> (prints the key once), <c>rft keys create --admin</c> (an operator key, printed
/// once), <c>rft keys list [--project P | --admin]</c>, <c>rft keys revoke KEY_ID</c>: manages API keys directly in the
/// configured storage (keys cannot be made through the API, which needs a key; whoever runs this holds the storage
/// credential, which is the operator's by definition).
/// </summary>
public static class KeysCommand
{
    /// <summary>Runs the verb; exit code 0 on success, 1 on failure, 2 on bad usage.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        const string usage = "usage: rft keys create (--project P | --admin) | rft keys list [--project P | --admin] | rft keys revoke KEY_ID";
        if (args.Length == 0) return await UsageAsync(usage);
        var (store, rest) = Open<ApiKeyStore>(args[1..], (account, options) => new ApiKeyStore(account, options));
        var project = Option(rest, "--project");
        var admin = rest.Contains("--admin");
        if (admin && project is not null) return await UsageAsync(usage);
        switch (args[0])
        {
            case "create" when admin:
                var (adminInfo, adminSecret) = await store.CreateAdminAsync();
                Print(new
                {
                    id = adminInfo.Id,
                    admin = true,
                    key = adminSecret,
                    created_at = adminInfo.CreatedAt,
                    note = "store the key now: it is not shown again; it opens the operator surfaces (see docs/security.md), never /v1",
                });
                return 0;
            case "create":
                if (project is null) return await UsageAsync(usage);
                try
                {
                    ApiKeyStore.ValidateProject(project);
                }
                catch (ArgumentException e)
                {
                    await Console.Error.WriteLineAsync($"rft keys: {e.Message}");
                    return 2;
                }
                var (info, secret) = await store.CreateAsync(project);
                Print(new { id = info.Id, project = info.Project, key = secret, created_at = info.CreatedAt, note = "store the key now: it is not shown again" });
                return 0;
            case "list":
                Print((await store.ListAsync(project, admin: admin)).Select(k => new { id = k.Id, project = k.Project, hint = k.Hint, created_at = k.CreatedAt }));
                return 0;
            case "revoke":
                var keyId = rest.FirstOrDefault(a => !a.StartsWith('-'));
                if (keyId is null) return await UsageAsync(usage);
                if (await store.RevokeAsync(keyId))
                {
                    Print(new { id = keyId, revoked = true });
                    return 0;
                }
                await Console.Error.WriteLineAsync($"rft keys: no key with id '{keyId}'");
                return 1;
            default:
                return await UsageAsync(usage);
        }
    }

    /// <summary>Builds a storage-backed service from the host's configuration (local.settings.json, env, args).</summary>
    internal static (T Service, string[] Arguments) Open<T>(string[] args, Func<StorageAccount, ApiOptions, T> create)
    {
        var root = ContentRoot.Find();
        var configuration = new ConfigurationManager();
        // Verb options (--project, --name, --path) are not settings; only --Key=value style arguments are passed on.
        FunctionsConfiguration.Apply(configuration, root, args.Where(a => a.Contains('=', StringComparison.Ordinal)).ToArray());
        var host = configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>() ?? new RftHostOptions();
        var options = configuration.GetSection(RftHostOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        var account = StorageAccount.FromSettings(host.StorageConnectionName, key => configuration[key]);
        return (create(account, options), args);
    }

    /// <summary>The value after <paramref name="name"/>, or null.</summary>
    internal static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static void Print(object value) => Console.WriteLine(JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));

    private static async Task<int> UsageAsync(string usage)
    {
        await Console.Error.WriteLineAsync(usage);
        return 2;
    }
}
