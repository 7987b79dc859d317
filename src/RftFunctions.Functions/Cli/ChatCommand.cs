using System.Text.Json;
using System.Text.Json.Nodes;

namespace RftFunctions.Functions.Cli;

/// <summary><c>rft chat</c>: one chat completion from a base, <c>ft:</c> or checkpoint model, printed as JSON or streamed as text.</summary>
public static class ChatCommand
{
    public const string Usage = """
        usage: rft chat --model MODEL [--system TEXT] [--temperature T] [--top-p P] [--max-tokens N] [--seed N] [--n N]
                        [--stream | --text] MESSAGE...
        MESSAGE is the user message (read from standard input when omitted). Prints the chat.completion JSON;
        --text prints only the first choice's text; --stream prints the text as it is generated.
        options: --url URL (or RFT_URL / OPENAI_BASE_URL; default http://127.0.0.1:7071), --key KEY (or OPENAI_API_KEY)
        """;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var parsed = CliArgs.Parse(args, [.. ApiClient.ConnectionOptions, "model", "system", "temperature", "top-p", "max-tokens", "seed", "n"], ["stream", "text"]);
        var message = parsed.Positionals.Count > 0 ? string.Join(' ', parsed.Positionals)
            : Console.IsInputRedirected ? await Console.In.ReadToEndAsync(cancellationToken)
            : throw new UsageException("missing MESSAGE");
        if (string.IsNullOrWhiteSpace(message)) throw new UsageException("missing MESSAGE (the argument and standard input are empty)");
        var messages = new JsonArray();
        if (parsed.Option("system") is { } system) messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = message });
        var body = new JsonObject { ["model"] = parsed.Required("model"), ["messages"] = messages };
        if (parsed.Number("temperature") is { } temperature) body["temperature"] = temperature;
        if (parsed.Number("top-p") is { } topP) body["top_p"] = topP;
        if (parsed.Integer("max-tokens") is { } maxTokens) body["max_completion_tokens"] = maxTokens;
        if (parsed.Integer("seed") is { } seed) body["seed"] = seed;
        if (parsed.Integer("n") is { } n) body["n"] = n;
        var stream = parsed.Flag("stream");
        if (stream && parsed.Flag("text")) throw new UsageException("give --stream or --text, not both");
        if (stream) body["stream"] = true;

        using var client = ApiClient.Create(parsed);
        if (!stream)
        {
            var completion = await client.PostJsonAsync("v1/chat/completions", JsonDocument.Parse(body.ToJsonString()).RootElement, cancellationToken);
            if (parsed.Flag("text")) await Console.Out.WriteLineAsync(completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            else ApiClient.Print(completion);
            return 0;
        }
        using var response = await client.SendRawAsync(HttpMethod.Post, "v1/chat/completions", ApiClient.Json(JsonDocument.Parse(body.ToJsonString()).RootElement), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            var data = line["data: ".Length..];
            if (data == "[DONE]") break;
            using var chunk = JsonDocument.Parse(data);
            foreach (var choice in chunk.RootElement.GetProperty("choices").EnumerateArray())
                if (choice.GetProperty("index").GetInt32() == 0 && choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                    await Console.Out.WriteAsync(content.GetString());
            await Console.Out.FlushAsync(cancellationToken);
        }
        await Console.Out.WriteLineAsync();
        return 0;
    }
}
