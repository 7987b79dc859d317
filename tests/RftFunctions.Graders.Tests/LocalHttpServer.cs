using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RftFunctions.Graders.Tests;

/// <summary>What the test server answers.</summary>
public sealed record ServerReply(int Status, string Body, TimeSpan Delay = default, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>A recorded request.</summary>
public sealed record ServerRequest(string Path, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A real HTTP server on 127.0.0.1 (System.Net.HttpListener) whose replies come from a handler; records every request.
/// </summary>
public sealed class LocalHttpServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<ServerRequest, int, ServerReply> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<ServerRequest> _requests = [];

    public LocalHttpServer(Func<ServerRequest, int, ServerReply> handler)
    {
        _handler = handler;
        // A free port can be taken by a parallel test before Start binds it: try a few.
        for (var attempt = 0; ; attempt++)
        {
            BaseUrl = $"http://127.0.0.1:{FreePort()}/";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(BaseUrl);
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Another port.
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    public string BaseUrl { get; }

    public IReadOnlyList<ServerRequest> Requests
    {
        get
        {
            lock (_requests) return [.. _requests];
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try
            {
                ctx = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(ctx));
        }
    }

    private async Task ServeAsync(HttpListenerContext ctx)
    {
        try
        {
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = ctx.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => ctx.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var request = new ServerRequest(ctx.Request.Url!.AbsolutePath, body, headers);
            int index;
            lock (_requests)
            {
                _requests.Add(request);
                index = _requests.Count - 1;
            }
            var reply = _handler(request, index);
            if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay, _stop.Token);
            ctx.Response.StatusCode = reply.Status;
            ctx.Response.ContentType = "application/json";
            foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>()) ctx.Response.Headers[name] = value;
            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
        catch (Exception)
        {
            // The client went away (timeout tests) or the server is stopping.
            try { ctx.Response.Abort(); } catch (ObjectDisposedException) { }
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed listener looks its endpoint up again to unregister the prefix and can meet the ephemeral port
            // taken by another process meanwhile ("Address already in use"); the server is gone either way.
        }
        try
        {
            await _loop;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException)
        {
            // Stopping the listener ends the accept loop with one of these; anything else is a real failure.
        }
        _stop.Dispose();
    }
}
