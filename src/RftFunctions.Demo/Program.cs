using RftFunctions.Demo;

// rft-demo [genes|compliance] [options]: the demos as a user runs them. Ctrl+C ends a run (and the host inside it)
// through the token.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await DemoCommand.RunAsync(args, cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync("rft-demo: interrupted");
    return 1;
}
