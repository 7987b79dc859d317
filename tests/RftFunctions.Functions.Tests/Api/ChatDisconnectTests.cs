using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json;
using RftFunctions.Functions.Api.Chat;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>A chat client that goes away mid-stream stops its generation: the model is free for the next request.</summary>
public sealed class ChatDisconnectTests(StorageFixture storage)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_disconnected_stream_stops_its_generation()
    {
        var folder = Directory.CreateTempSubdirectory("rft-tiny-disconnect-").FullName;
        long abandoned = 0;
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ChatMetrics.MeterName && instrument.Name == "rft.chat.generations_abandoned") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            Interlocked.Add(ref abandoned, value);
            stopped.TrySetResult();
        });
        listener.Start();
        try
        {
            TinyModelFactory.CreateFolder(folder, ModelArchitecture.Qwen3, seed: 11);
            await using var server = await ApiServer.StartAsync(storage);
            using var client = server.Client();
            await ApiAssert.OkAsync(await client.PostJson("v1/models", JsonSerializer.Serialize(new { id = "tiny", path = folder })));

            // 128 choices of up to the whole context: far longer than the test waits for, unless it stops.
            var body = """{"model":"tiny","messages":[{"role":"user","content":"go"}],"n":128,"max_completion_tokens":100000,"stream":true,"seed":1}""";
            using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") })
            using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _ct))
            {
                Assert.True(response.IsSuccessStatusCode);
                using var stream = await response.Content.ReadAsStreamAsync(_ct);
                var first = new byte[256];
                Assert.True(await stream.ReadAsync(first, _ct) > 0); // generation is under way
            } // disposing the response mid-stream closes the connection: the client went away

            await stopped.Task.WaitAsync(TimeSpan.FromSeconds(120), _ct);
            Assert.Equal(1, Interlocked.Read(ref abandoned));
            // The model's gate is free: the next request is answered.
            var answer = await ApiAssert.OkAsync(await client.PostJson("v1/chat/completions", """{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2}"""));
            Assert.Equal("chat.completion", answer.GetProperty("object").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
