using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Models;

/// <summary>
/// <see cref="IChatModelClient"/> for any OpenAI-compatible <c>POST {base}/chat/completions</c>. Sends the schema as
/// <c>response_format: json_schema</c>; retries transport failures and 5xx/429 twice with a short backoff.
/// </summary>
public sealed class OpenAiCompatibleChatClient(HttpClient http, OpenAiEndpoint endpoint) : IChatModelClient
{
    /// <inheritdoc />
    public async Task<ChatModelResponse> CompleteAsync(ChatModelRequest request, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = endpoint.Model ?? request.Model,
            ["messages"] = new JsonArray([.. request.Messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content })]),
        };
        if (request.Temperature is { } t) body["temperature"] = t;
        if (request.TopP is { } p) body["top_p"] = p;
        if (request.Seed is { } s) body["seed"] = s;
        if (request.MaxCompletionTokens is { } mt) body["max_completion_tokens"] = mt;
        if (request.ReasoningEffort is { } re) body["reasoning_effort"] = re;
        if (request.ResponseSchema is { } schema)
        {
            body["response_format"] = new JsonObject
            {
                ["type"] = "json_schema",
                ["json_schema"] = new JsonObject { ["name"] = "grader_answer", ["strict"] = true, ["schema"] = JsonNode.Parse(schema.GetRawText()) },
            };
        }
        var payload = body.ToJsonString();
        using var doc = await HttpRetry.PostJsonAsync(http, endpoint.Resolve("chat/completions"), endpoint.ApiKey, payload, cancellationToken)
            .ConfigureAwait(false);
        var root = doc.RootElement;
        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            throw new ModelEndpointException("chat completion has no choices");
        var choice = choices[0];
        var message = choice.TryGetProperty("message", out var m) ? m : default;
        return new ChatModelResponse
        {
            Content = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null,
            Refusal = message.ValueKind == JsonValueKind.Object && message.TryGetProperty("refusal", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null,
            FinishReason = choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null,
            Model = root.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null,
            Usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? ReadUsage(u) : null,
        };
    }

    private static TokenUsage ReadUsage(JsonElement u)
    {
        static long Get(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.TryGetInt64(out var l) ? l : 0;
        var cached = u.TryGetProperty("prompt_tokens_details", out var d) && d.ValueKind == JsonValueKind.Object ? Get(d, "cached_tokens") : 0;
        return new TokenUsage
        {
            PromptTokens = Get(u, "prompt_tokens"),
            CompletionTokens = Get(u, "completion_tokens"),
            TotalTokens = Get(u, "total_tokens"),
            CachedTokens = cached,
        };
    }
}

/// <summary>POST with JSON, bearer auth and two retries on transport errors, 429 and 5xx.</summary>
internal static class HttpRetry
{
    public static async Task<JsonDocument> PostJsonAsync(HttpClient http, Uri url, string? apiKey, string payload, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(payload, Encoding.UTF8, "application/json") };
            if (apiKey is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            HttpResponseMessage resp;
            try
            {
                resp = await http.SendAsync(req, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException) when (attempt < 2)
            {
                await Task.Delay(100 * (1 << attempt), ct).ConfigureAwait(false);
                continue;
            }
            using (resp)
            {
                var text = await resp.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
                var status = (int)resp.StatusCode;
                if ((status >= 500 || status == 429) && attempt < 2)
                {
                    await Task.Delay(100 * (1 << attempt), ct).ConfigureAwait(false);
                    continue;
                }
                if (!resp.IsSuccessStatusCode)
                    throw new ModelEndpointException($"{url} answered {status}: {Truncate(text)}", status);
                try
                {
                    return JsonDocument.Parse(text);
                }
                catch (JsonException e)
                {
                    throw new ModelEndpointException($"{url} answered non-JSON ({e.Message}): {Truncate(text)}", status);
                }
            }
        }
    }

    private static string Truncate(string s) => s.Length <= 500 ? s : s[..500] + "...";
}
