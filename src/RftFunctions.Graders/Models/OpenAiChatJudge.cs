using System.ClientModel;
using System.Collections.Concurrent;
using OpenAI.Chat;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Models;

/// <summary>
/// <see cref="IChatModelClient"/> for any OpenAI-compatible chat endpoint, through the official OpenAI .NET client:
/// sampling parameters as the grader sets them, the answer schema as <c>response_format: json_schema</c>, the client's
/// own retry policy (408/429/5xx and transport errors, Retry-After honoured), usage as the endpoint reports it.
/// </summary>
/// <param name="endpoint">Base URL, key, and the model (deployment) name to send, if it differs from the grader's.</param>
/// <param name="http">An HttpClient to send through (tests, custom handlers); null uses the client's default transport.</param>
public sealed class OpenAiChatJudge(OpenAiEndpoint endpoint, HttpClient? http = null) : IChatModelClient
{
    private readonly ConcurrentDictionary<string, ChatClient> _clients = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<ChatModelResponse> CompleteAsync(ChatModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = endpoint.Model ?? request.Model;
        var client = _clients.GetOrAdd(model, m => new ChatClient(m, endpoint.Credential, endpoint.ClientOptions(http)));
        var messages = request.Messages.Select(m => m.Role switch
        {
            "system" or "developer" => (OpenAI.Chat.ChatMessage)new SystemChatMessage(m.Content),
            "assistant" => new AssistantChatMessage(m.Content),
            _ => new UserChatMessage(m.Content),
        }).ToList();
        var options = new ChatCompletionOptions
        {
            Temperature = (float?)request.Temperature,
            TopP = (float?)request.TopP,
            MaxOutputTokenCount = request.MaxCompletionTokens,
        };
#pragma warning disable OPENAI001 // seed and reasoning effort are marked experimental in the client; OpenAI's graders pass both.
        if (request.Seed is { } seed) options.Seed = seed;
        if (request.ReasoningEffort is { } effort) options.ReasoningEffortLevel = new ChatReasoningEffortLevel(effort);
#pragma warning restore OPENAI001
        if (request.ResponseSchema is { } schema)
            options.ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("grader_answer", BinaryData.FromString(schema.GetRawText()), jsonSchemaIsStrict: true);
        ChatCompletion completion;
        try
        {
            completion = (await client.CompleteChatAsync(messages, options, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (ClientResultException e)
        {
            // The client's message carries the status and the endpoint's error body, never the key.
            throw new ModelEndpointException($"the judge endpoint answered {e.Status}: {Truncate(e.Message)}", e.Status, e);
        }
        var text = completion.Content.Count == 0 ? null : string.Concat(completion.Content.Select(p => p.Text));
        return new ChatModelResponse
        {
            Content = text,
            Refusal = completion.Refusal,
            FinishReason = completion.FinishReason switch
            {
                ChatFinishReason.Stop => "stop",
                ChatFinishReason.Length => "length",
                ChatFinishReason.ContentFilter => "content_filter",
                ChatFinishReason.ToolCalls => "tool_calls",
                ChatFinishReason.FunctionCall => "function_call",
                _ => null,
            },
            Model = completion.Model,
            Usage = completion.Usage is { } u
                ? new TokenUsage
                {
                    PromptTokens = u.InputTokenCount,
                    CompletionTokens = u.OutputTokenCount,
                    TotalTokens = u.TotalTokenCount,
                    CachedTokens = u.InputTokenDetails?.CachedTokenCount ?? 0,
                }
                : null,
        };
    }

    private static string Truncate(string s) => s.Length <= 500 ? s : s[..500] + "...";
}
