using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RftFunctions.FunctionApp.Http;
using RftFunctions.FunctionApp.Triggers;
using RftFunctions.Functions.Durable;
using RftFunctions.Functions.Triggers;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.FunctionApp.Tests;

/// <summary>
/// The worker host Program.cs runs builds with the app's services under the checks <c>func start</c> applies
/// (the Development environment validates every registration and scope when the host is built), and its endpoint
/// pipeline and task catalog come out of it.
/// </summary>
public sealed class FunctionAppHostTests(StorageFixture storage)
{
    private const string DevelopmentVariable = "AZURE_FUNCTIONS_ENVIRONMENT";

    [Fact]
    public async Task The_worker_host_builds_under_development_validation()
    {
        // func start sets this variable; the worker reads its environment from it when the builder is made. No other
        // test of this assembly makes a worker host, so setting it for this one is safe.
        Environment.SetEnvironmentVariable(DevelopmentVariable, "Development");
        IHost host;
        try
        {
            var builder = FunctionAppHost.CreateBuilder(FunctionAppTestServices.Settings(storage, storage.UniqueName("w")).Select(s => $"--{s.Key}={s.Value}").ToArray());
            // The Functions host's blob trigger delivers uploads: the self-hosted polling scan must not run beside it.
            Assert.DoesNotContain(builder.Services, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(DatasetBlobTrigger));
            host = builder.Build();
        }
        finally
        {
            Environment.SetEnvironmentVariable(DevelopmentVariable, null);
        }
        using var _ = host;
        Assert.True(host.Services.GetRequiredService<IHostEnvironment>().IsDevelopment());
        Assert.NotEmpty(host.Services.GetRequiredService<TaskCatalog>().Activities);
        // The pipeline's route table is built on first use: a request to a public route goes through it.
        await using var scope = host.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "GET";
        context.Request.Path = "/openapi.json";
        context.Response.Body = new MemoryStream();
        await host.Services.GetRequiredService<ApiPipeline>().DispatchAsync(context);
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.True(context.Response.Body.Length > 0);
        // The test settings carry a storage prefix, which the triggers' fixed paths refuse at start.
        Assert.Throws<InvalidOperationException>(() => BlobTriggerFunctions.EnsureWatchedContainers(host.Services));
    }
}
