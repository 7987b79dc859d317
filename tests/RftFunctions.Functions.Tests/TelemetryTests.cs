using System.Net;
using System.Net.Sockets;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests;

public sealed class TelemetryTests(StorageFixture storage)
{
    [Fact]
    public async Task With_an_application_insights_connection_string_the_host_exports_telemetry_to_its_ingestion_endpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = FreePort();
        using var ingestion = new HttpListener();
        ingestion.Prefixes.Add($"http://127.0.0.1:{port}/");
        ingestion.Start();
        var received = ReceiveTrackRequestAsync(ingestion, ct);

        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = $"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:{port}/",
        });
        using var client = new HttpClient();
        (await host.WaitForAsync(client, "/runtime/webhooks/durabletask/instances/x", TimeSpan.FromSeconds(90), ct)).Dispose();

        var finished = await Task.WhenAny(received, Task.Delay(TimeSpan.FromSeconds(90), ct));

        Assert.True(finished == received, "no telemetry reached the ingestion endpoint\n" + host.Output);
        Assert.Contains("00000000-0000-0000-0000-000000000001", await received, StringComparison.Ordinal);
    }

    private static async Task<string> ReceiveTrackRequestAsync(HttpListener listener, CancellationToken ct)
    {
        while (true)
        {
            var context = await listener.GetContextAsync().WaitAsync(ct);
            string body;
            var input = context.Request.InputStream;
            if (context.Request.Headers["Content-Encoding"] == "gzip")
                input = new System.IO.Compression.GZipStream(input, System.IO.Compression.CompressionMode.Decompress);
            using (var reader = new StreamReader(input)) body = await reader.ReadToEndAsync(ct);
            context.Response.StatusCode = 200;
            await using (var writer = new StreamWriter(context.Response.OutputStream))
                await writer.WriteAsync("""{"itemsReceived":1,"itemsAccepted":1,"errors":[]}""");
            context.Response.Close();
            if (context.Request.Url!.AbsolutePath.Contains("track", StringComparison.Ordinal)) return body;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
