using RftFunctions.Model;
using RftFunctions.Storage;

namespace RftFunctions.Functions.Hosting;

/// <summary>Builds and runs the RftFunctions host: one ASP.NET Core process serving the roles it is configured for.</summary>
public static class RftHost
{
    /// <summary>The port the Functions tooling uses by default (local.settings.json <c>Host.LocalHttpPort</c> overrides).</summary>
    public const int DefaultLocalHttpPort = 7071;

    /// <summary>The device setting as users write it (environment spelling in parentheses).</summary>
    public const string DeviceSetting = "Rft:Device (Rft__Device)";

    /// <summary>Runs the host until it is stopped (Ctrl+C, SIGTERM, or <paramref name="cancellationToken"/>).</summary>
    /// <param name="args">Command-line settings.</param>
    /// <param name="cancellationToken">Stops the host.</param>
    /// <param name="configure">Adjusts the builder after configuration and logging are read (the demo, which runs
    /// the host inside its own process, sends the host's logs to a file instead of its progress output).</param>
    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default, Action<WebApplicationBuilder>? configure = null)
    {
        var root = ContentRoot.Find();
        if (FunctionsConfiguration.EnsureLocalSettings(root))
            Console.WriteLine($"Created {Path.Combine(root, "local.settings.json")} from local.settings.sample.json.");

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = root });
        FunctionsConfiguration.Apply(builder.Configuration, root, args);
        // host.json's logging section configures log levels, as in the Functions host.
        builder.Logging.AddConfiguration(builder.Configuration.GetSection($"{FunctionsConfiguration.HostSection}:logging"));
        builder.AddRftTelemetry();
        configure?.Invoke(builder);
        var options = builder.Configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>() ?? new RftHostOptions();
        try
        {
            options.Validate();
            DurableHosting.ReadOptions(builder.Configuration);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"rft host: {e.Message}");
            return 1;
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            var port = builder.Configuration.GetValue("Host:LocalHttpPort", DefaultLocalHttpPort);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        ComputeDevice device;
        try
        {
            device = ComputeDevice.Parse(options.Device, DeviceSetting).EnsureAvailable(DeviceSetting);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Before anything starts: a GPU worker that cannot reach its GPU must not quietly train on the CPU.
            await Console.Error.WriteLineAsync($"rft host: {e.Message}");
            return 1;
        }

        var account = StorageAccount.FromSettings(options.StorageConnectionName, key => builder.Configuration[key]);
        await using var azurite = await EmbeddedAzurite.StartIfNeededAsync(account, options, root, Console.Out, cancellationToken);

        // The services both hosts share (the Function App calls the same method), then this host's engine.
        builder.Services.AddRftApp(builder.Configuration, account, options, device);
        builder.Services.AddRftDurable(builder.Configuration, account, options);
        // The local path of the checkpoint-manifest trigger (Event Grid's webhook is the Azure one; both start each evaluation once).
        if (options.RoleSet.Contains("api") || options.RoleSet.Contains("all"))
        {
            builder.Services.AddHostedService<RftFunctions.Functions.Triggers.CheckpointManifestScan>();
            // Jobs whose create a storage outage cut between the row and the orchestration start (issue 22).
            builder.Services.AddHostedService<RftFunctions.Functions.Jobs.UnstartedJobReconciler>();
        }

        await using var app = builder.Build();
        // Every route is mapped there (and only there): the route-coverage test walks the same table.
        // Storage that does not answer is a 503 with Retry-After on every route, never a 500.
        RftFunctions.Functions.Api.StorageOutage.UseStorageOutageResponses(app);
        RftEndpoints.Map(app, options);
        app.Logger.LogInformation("RftFunctions host: roles {Roles}, storage {Storage}, content root {Root}",
            string.Join(",", options.RoleSet.Order()), account.Description, root);
        await app.RunAsync(cancellationToken == default ? app.Lifetime.ApplicationStopping : cancellationToken);
        return 0;
    }
}
