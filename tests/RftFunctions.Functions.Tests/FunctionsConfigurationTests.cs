using Microsoft.Extensions.Configuration;
using RftFunctions.Functions.Hosting;
using Xunit;

namespace RftFunctions.Functions.Tests;

public sealed class FunctionsConfigurationTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("rft-config-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private IConfigurationRoot Load(params string[] args)
    {
        var builder = new ConfigurationBuilder();
        FunctionsConfiguration.Apply(builder, _root, args);
        return builder.Build();
    }

    [Fact]
    public void Host_json_is_exposed_under_the_functions_host_section()
    {
        File.WriteAllText(Path.Combine(_root, "host.json"), """
            { "version": "2.0", "extensions": { "durableTask": { "hubName": "JobsHub", "storageProvider": { "partitionCount": 8 } } } }
            """);

        var configuration = Load();

        Assert.Equal("JobsHub", configuration["AzureFunctionsJobHost:extensions:durableTask:hubName"]);
        Assert.Equal("8", configuration["AzureFunctionsJobHost:extensions:durableTask:storageProvider:partitionCount"]);
    }

    [Fact]
    public void Local_settings_values_become_settings_and_double_underscore_nests()
    {
        File.WriteAllText(Path.Combine(_root, "local.settings.json"), """
            { "IsEncrypted": false, "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "Rft__Roles": "api" } }
            """);

        var configuration = Load();

        Assert.Equal("UseDevelopmentStorage=true", configuration["AzureWebJobsStorage"]);
        Assert.Equal("api", configuration.GetSection(RftHostOptions.Section).Get<RftHostOptions>()!.Roles);
    }

    [Fact]
    public void Environment_variables_and_command_line_override_the_files()
    {
        File.WriteAllText(Path.Combine(_root, "local.settings.json"), """{ "Values": { "Rft__Roles": "api", "Rft__AzuriteDataDirectory": "data" } }""");
        var variable = $"Rft__AzuriteDataDirectory";
        var unique = $"RftTest{Guid.NewGuid():N}__Value";
        Environment.SetEnvironmentVariable(unique, "from-env");
        try
        {
            var configuration = Load("--Rft:Roles=worker");

            Assert.Equal("worker", configuration["Rft:Roles"]);
            Assert.Equal("data", configuration[variable.Replace("__", ":", StringComparison.Ordinal)]);
            Assert.Equal("from-env", configuration[unique.Replace("__", ":", StringComparison.Ordinal)]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(unique, null);
        }
    }

    [Fact]
    public void Invalid_host_json_names_the_file_and_line()
    {
        File.WriteAllText(Path.Combine(_root, "host.json"), "{\n  \"version\": \"2.0\",\n  \"extensions\": { oops }\n}");

        var error = Assert.Throws<InvalidDataException>(() => Load());

        Assert.Contains("host.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_local_settings_is_created_from_the_sample_once()
    {
        File.WriteAllText(Path.Combine(_root, "local.settings.sample.json"), """{ "Values": { "Rft__Roles": "all" } }""");

        Assert.True(FunctionsConfiguration.EnsureLocalSettings(_root));
        Assert.False(FunctionsConfiguration.EnsureLocalSettings(_root));
        Assert.Equal("all", Load()["Rft:Roles"]);
    }
}
