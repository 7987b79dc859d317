using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using RftFunctions.FunctionApp;
using RftFunctions.FunctionApp.Triggers;

// The Azure Functions isolated worker: Functions HTTP triggers through the ASP.NET Core integration, so the endpoint
// code sees a real HttpContext, as it does in the self-hosted host.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddRftFunctionApp(builder.Configuration);
var app = builder.Build();
BlobTriggerFunctions.EnsureWatchedContainers(app.Services);
app.Run();
