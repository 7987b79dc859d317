using Microsoft.Extensions.Logging.Abstractions;
using RftFunctions.Durable;
using RftFunctions.Durable.TestWorker;
using RftFunctions.Storage;

// usage: RftFunctions.Durable.TestWorker <connection-string> <hub-name> <worker-id>
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: RftFunctions.Durable.TestWorker <connection-string> <hub-name> <worker-id>");
    return 2;
}
var options = ChaosOptions.For(args[1]);
await using var worker = new DurableTaskWorker(StorageAccount.FromConnectionString(args[0]), options, ChaosWorkload.Register(new DurableTaskRegistry()), NullLoggerFactory.Instance, workerId: args[2]);
await worker.StartAsync(CancellationToken.None);
Console.WriteLine($"worker {args[2]} started");
// Runs until killed, or until the parent closes stdin.
await Console.In.ReadToEndAsync();
await worker.StopAsync(CancellationToken.None);
return 0;
