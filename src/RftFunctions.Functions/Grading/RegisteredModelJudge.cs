using RftFunctions.Functions.Api.Chat;
using RftFunctions.Graders.Evaluation;
using RftFunctions.Graders.Models;
using RftFunctions.Model;
using ModelChatMessage = RftFunctions.Model.Tokenization.Chat.ChatMessage;

namespace RftFunctions.Functions.Grading;

/// <summary>
/// A judge served by a model registered in the caller's project (a base or <c>ft:</c> model), through the same
/// <see cref="ModelCache"/> as <c>/v1/chat/completions</c>: loaded once, shared with chat, one generation at a time.
/// Small local models cannot be constrained to the answer schema, so the grader's lenient parsing (a bare number or
/// label) matters here. Without a seed in the grader the seed is derived from the prompt, so a retried Grade
/// activity gets the same answer.
/// </summary>
internal sealed class RegisteredModelJudge(ModelCache cache, string project, int maxTokens) : IChatModelClient
{
    public async Task<ChatModelResponse> CompleteAsync(ChatModelRequest request, CancellationToken cancellationToken)
    {
        using var lease = await cache.AcquireAsync(project, request.Model, cancellationToken);
        var model = lease.Model;
        var messages = request.Messages.Select(m => new ModelChatMessage(m.Role is "system" or "developer" or "assistant" ? m.Role : "user", m.Content)).ToList();
        var rendered = model.Format.Render(messages);
        var prompt = model.Tokenizer.Encode(rendered);
        var context = model.Model.Config.MaxPositionEmbeddings;
        if (prompt.Count >= context)
            throw new ModelEndpointException($"the judge prompt has {prompt.Count} tokens; model '{request.Model}' has a context of {context}");
        var sampling = new SamplingParameters
        {
            Temperature = request.Temperature ?? 1.0,
            TopP = request.TopP ?? 1.0,
            MaxTokens = Math.Clamp(request.MaxCompletionTokens ?? maxTokens, 1, Math.Max(1, Math.Min(maxTokens, context - prompt.Count))),
            Seed = request.Seed ?? StableSeed(rendered),
        };
        sampling.Validate();
        GeneratedSample sample;
        await model.Gate.WaitAsync(cancellationToken);
        try
        {
            sample = (await Task.Run(() => model.Generator.Generate([new GenerationRequest(prompt, sampling)]), cancellationToken))[0];
        }
        finally
        {
            model.Gate.Release();
        }
        return new ChatModelResponse
        {
            Content = sample.Text,
            FinishReason = sample.FinishReason == FinishReason.Length ? "length" : "stop",
            Model = request.Model,
            Usage = new TokenUsage { PromptTokens = prompt.Count, CompletionTokens = sample.TokenIds.Count, TotalTokens = prompt.Count + sample.TokenIds.Count },
        };
    }

    private static long StableSeed(string text)
    {
        // FNV-1a: string.GetHashCode differs between processes, and a retried activity may run in another one.
        ulong hash = 14695981039346656037;
        foreach (var c in text) hash = (hash ^ c) * 1099511628211;
        return (long)(hash >> 1);
    }
}
