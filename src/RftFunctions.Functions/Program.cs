using RftFunctions.Functions.Cli;

return await RftCommandLine.RunAsync(args);
