using Microsoft.Azure.Functions.Worker.Builder;

namespace RftFunctions.FunctionApp;

/// <summary>The worker host as Program.cs runs it (tests build the same host, without the Functions host to talk to).</summary>
public static class FunctionAppHost
{
    /// <summary>
    /// The isolated worker with HTTP through the ASP.NET Core integration (so the endpoint code sees a real HttpContext,
    /// as in the self-hosted host) and the app's services, configured from <paramref name="args"/>, app settings and
    /// environment variables.
    /// </summary>
    public static FunctionsApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddRftFunctionApp(builder.Configuration);
        return builder;
    }
}
