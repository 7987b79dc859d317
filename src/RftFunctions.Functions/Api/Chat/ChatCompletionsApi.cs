using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using RftFunctions.Functions.Api.Auth;
using RftFunctions.Model;

namespace RftFunctions.Functions.Api.Chat;

/// <summary><c>POST /v1/chat/completions</c> for the project's registered base and fine-tuned models, plain or streamed (SSE).</summary>
public static class ChatCompletionsApi
{
    /// <summary>How many extra draws a choice gets when response_format requires JSON and its output fails the check.</summary>
    public const int JsonRetries = 3;

    /// <summary>Maps the endpoint under <paramref name="v1"/>.</summary>
    public static RouteGroupBuilder MapChatCompletionsApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/chat/completions", CompleteAsync).WithTags("Chat");
        return v1;
    }

    private static async Task<IResult> CompleteAsync(HttpContext context, ModelCache cache, CancellationToken cancellationToken)
    {
        var chat = ChatRequest.Parse(await ApiJson.ReadObjectAsync(context.Request, cancellationToken));
        using var lease = await cache.AcquireAsync(ApiProject.Of(context), chat.Model, cancellationToken);
        var model = lease.Model;
        var prompt = model.Tokenizer.Encode(model.Format.Render(chat.Messages));
        var context_ = model.Model.Config.MaxPositionEmbeddings;
        if (prompt.Count >= context_)
            throw ApiException.BadRequest($"The prompt has {prompt.Count} tokens; the model's context is {context_}.", "messages", "context_length_exceeded");
        var completion = new Completion("chatcmpl-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), chat.Model);

        await model.Gate.WaitAsync(cancellationToken);
        try
        {
            if (chat.Stream)
            {
                await StreamAsync(context.Response, model, chat, prompt, completion);
                return TypedResults.Empty;
            }
            var (samples, generated) = await GenerateAsync(model, chat, prompt, cancellationToken);
            return ApiJson.Ok(new
            {
                id = completion.Id,
                @object = "chat.completion",
                created = completion.Created,
                model = completion.Model,
                system_fingerprint = Completion.Fingerprint,
                choices = samples.Select((s, i) => new
                {
                    index = i,
                    message = new { role = "assistant", content = s.Text, refusal = (string?)null },
                    logprobs = chat.LogProbs ? LogProbs(model, s.TokenIds, s.LogProbs) : null,
                    finish_reason = Finish(s.FinishReason),
                }).ToList(),
                usage = Usage(prompt.Count, generated),
            });
        }
        finally
        {
            model.Gate.Release();
        }
    }

    // The request's abort token reaches the sampling loop: a client that goes away stops its generation, so the model's
    // gate is free for the next request instead of held until a long completion ends.
    private static async Task<(IReadOnlyList<GeneratedSample> Samples, int Generated)> GenerateAsync(LoadedModel model, ChatRequest chat, IReadOnlyList<int> prompt,
        CancellationToken cancellationToken)
    {
        var samples = (await Task.Run(() => model.Generator.GenerateCancellable([new GenerationRequest(prompt, chat.Sampling)], cancellationToken), cancellationToken)).ToArray();
        int generated = samples.Sum(s => s.TokenIds.Count);
        // response_format: redraw (with derived seeds, so the answer stays reproducible) the choices whose output fails the check.
        for (int attempt = 1; chat.RequiresJson && attempt <= JsonRetries; attempt++)
        {
            var failing = Enumerable.Range(0, samples.Length).Where(i => JsonOutputCheck.Check(samples[i].Text, chat.JsonSchema) is not null).ToList();
            if (failing.Count == 0) break;
            var parameters = chat.Sampling with { N = failing.Count, Seed = chat.Sampling.Seed + attempt * 1_000_003L };
            var redraws = await Task.Run(() => model.Generator.GenerateCancellable([new GenerationRequest(prompt, parameters)], cancellationToken), cancellationToken);
            for (int j = 0; j < failing.Count; j++) samples[failing[j]] = redraws[j] with { SampleIndex = failing[j] };
            generated += redraws.Sum(s => s.TokenIds.Count);
        }
        return (samples, generated);
    }

    private static async Task StreamAsync(HttpResponse response, LoadedModel model, ChatRequest chat, IReadOnlyList<int> prompt, Completion completion)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var tokens = Channel.CreateUnbounded<SampledToken>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var generation = Task.Run(() =>
        {
            try
            {
                return model.Generator.GenerateCancellable([new GenerationRequest(prompt, chat.Sampling)], response.HttpContext.RequestAborted, t => tokens.Writer.TryWrite(t));
            }
            finally
            {
                tokens.Writer.Complete();
            }
        });
        var choices = Enumerable.Range(0, chat.Sampling.N).Select(_ => new StreamedChoice()).ToArray();
        var eos = model.Tokenizer.EosTokenIds.ToHashSet();
        try
        {
            for (int i = 0; i < choices.Length; i++)
                await WriteChunkAsync(response, completion, chat, i, new { role = "assistant", content = "", refusal = (string?)null }, null, null);
            await foreach (var token in tokens.Reader.ReadAllAsync(response.HttpContext.RequestAborted))
            {
                var choice = choices[token.SampleIndex];
                if (eos.Contains(token.TokenId)) continue;
                choice.Ids.Add(token.TokenId);
                choice.Pending.Add((token.TokenId, token.LogProb));
                var stable = Stable(model.Tokenizer.Decode(choice.Ids), chat.Sampling.Stop);
                if (stable.Length > choice.Emitted.Length && stable.StartsWith(choice.Emitted, StringComparison.Ordinal))
                    await EmitAsync(response, completion, chat, model, token.SampleIndex, choice, stable);
            }
            var samples = await generation;
            foreach (var sample in samples)
            {
                var choice = choices[sample.SampleIndex];
                if (sample.Text.Length > choice.Emitted.Length && sample.Text.StartsWith(choice.Emitted, StringComparison.Ordinal))
                    await EmitAsync(response, completion, chat, model, sample.SampleIndex, choice, sample.Text);
                await WriteChunkAsync(response, completion, chat, sample.SampleIndex, new { }, null, Finish(sample.FinishReason));
            }
            if (chat.IncludeUsage)
            {
                var usage = Usage(prompt.Count, samples.Sum(s => s.TokenIds.Count));
                await WriteEventAsync(response, new { id = completion.Id, @object = "chat.completion.chunk", created = completion.Created, model = completion.Model, system_fingerprint = Completion.Fingerprint, choices = Array.Empty<object>(), usage });
            }
            await response.WriteAsync("data: [DONE]\n\n", response.HttpContext.RequestAborted);
            await response.Body.FlushAsync(response.HttpContext.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client went away: the generation stops at its next token (it observes the same abort token), and the
            // model's gate is released once it has.
            try
            {
                await generation;
            }
            catch (OperationCanceledException)
            {
                ChatMetrics.GenerationsAbandoned.Add(1);
            }
        }
    }

    private static Task EmitAsync(HttpResponse response, Completion completion, ChatRequest chat, LoadedModel model, int index, StreamedChoice choice, string text)
    {
        var delta = text[choice.Emitted.Length..];
        choice.Emitted = text;
        var logprobs = chat.LogProbs ? LogProbs(model, choice.Pending.Select(p => p.Id).ToList(), choice.Pending.Select(p => p.LogProb).ToList()) : null;
        choice.Pending.Clear();
        return WriteChunkAsync(response, completion, chat, index, new { content = delta }, logprobs, null);
    }

    /// <summary>The text that can be sent now: up to any stop string, holding back a partial UTF-8 character or a
    /// suffix that may grow into a stop string.</summary>
    internal static string Stable(string text, IReadOnlyList<string> stops)
    {
        foreach (var stop in stops)
        {
            var at = text.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        text = text.TrimEnd('\uFFFD');
        int hold = 0;
        foreach (var stop in stops)
            for (int k = Math.Min(stop.Length - 1, text.Length); k > hold; k--)
                if (text.AsSpan(text.Length - k).SequenceEqual(stop.AsSpan(0, k))) { hold = k; break; }
        return text[..^hold];
    }

    private static Task WriteChunkAsync(HttpResponse response, Completion completion, ChatRequest chat, int index, object delta, object? logprobs, string? finish) =>
        WriteEventAsync(response, new
        {
            id = completion.Id,
            @object = "chat.completion.chunk",
            created = completion.Created,
            model = completion.Model,
            system_fingerprint = Completion.Fingerprint,
            choices = new[] { new { index, delta, logprobs, finish_reason = finish } },
            usage = (object?)null,
        });

    private static async Task WriteEventAsync(HttpResponse response, object chunk)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(chunk, ApiJson.Options) + "\n\n", response.HttpContext.RequestAborted);
        await response.Body.FlushAsync(response.HttpContext.RequestAborted);
    }

    private static object LogProbs(LoadedModel model, IReadOnlyList<int> ids, IReadOnlyList<float> logProbs)
    {
        var eos = model.Tokenizer.EosTokenIds.ToHashSet();
        var content = ids.Select((id, i) => (id, lp: logProbs[i])).Where(t => !eos.Contains(t.id)).Select(t =>
        {
            var token = model.Tokenizer.Decode([t.id]);
            return new { token, logprob = (double)t.lp, bytes = Encoding.UTF8.GetBytes(token).Select(b => (int)b).ToArray(), top_logprobs = Array.Empty<object>() };
        }).ToList();
        return new { content, refusal = (object?)null };
    }

    private static object Usage(int promptTokens, int completionTokens) =>
        new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens };

    private static string Finish(FinishReason reason) => reason == FinishReason.Length ? "length" : "stop";

    private sealed record Completion(string Id, long Created, string Model)
    {
        public const string Fingerprint = "rft";
    }

    private sealed class StreamedChoice
    {
        public List<int> Ids { get; } = [];
        public List<(int Id, float LogProb)> Pending { get; } = [];
        public string Emitted { get; set; } = "";
    }
}
