using Microsoft.Extensions.Hosting;
using RftFunctions.FunctionApp;
using RftFunctions.FunctionApp.Triggers;

var app = FunctionAppHost.CreateBuilder(args).Build();
BlobTriggerFunctions.EnsureWatchedContainers(app.Services);
app.Run();
