using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RftFunctions.Testing;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>The Function App's own composition (<see cref="FunctionAppServices.AddRftFunctionApp"/>) over the test Azurite.</summary>
internal static class FunctionAppTestServices
{
    /// <summary>The settings a Function App on the test storage reads (its app settings), under a private prefix.</summary>
    public static Dictionary<string, string?> Settings(StorageFixture storage, string prefix) => new()
    {
        ["AzureWebJobsStorage"] = storage.ConnectionString,
        ["Rft:StoragePrefix"] = prefix,
        ["Rft:HostId"] = prefix,
        ["Rft:ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-funcapp-tests", prefix),
    };

    /// <summary>The worker host of Program.cs (<see cref="FunctionAppHost"/>) on the test storage; built, not started.</summary>
    public static IHost BuildWorkerHost(StorageFixture storage) =>
        FunctionAppHost.CreateBuilder(Settings(storage, storage.UniqueName("w")).Select(s => $"--{s.Key}={s.Value}").ToArray()).Build();

    public static ServiceProvider Build(StorageFixture storage)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings(storage, storage.UniqueName("f"))).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddRftFunctionApp(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}
