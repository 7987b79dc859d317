using System.Text.Json;
using RftFunctions.Graders.Evaluation;

namespace RftFunctions.Graders.Models;

/// <summary>One chat message sent to a judge model.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>A judge-model request: the rendered prompt plus sampling settings and the JSON schema of the answer.</summary>
public sealed record ChatModelRequest
{
    /// <summary>The model id from the grader config.</summary>
    public required string Model { get; init; }

    /// <summary>The rendered messages.</summary>
    public required IReadOnlyList<ChatMessage> Messages { get; init; }

    /// <summary>Sampling temperature, if set.</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus mass, if set.</summary>
    public double? TopP { get; init; }

    /// <summary>Sampling seed, if set.</summary>
    public long? Seed { get; init; }

    /// <summary>Answer token budget, if set.</summary>
    public int? MaxCompletionTokens { get; init; }

    /// <summary>Reasoning effort for reasoning judges, if set.</summary>
    public string? ReasoningEffort { get; init; }

    /// <summary>
    /// The JSON schema the answer must follow (OpenAI's <c>response_format.json_schema.schema</c>); clients that can
    /// constrain decoding should, others can rely on the instruction already in the messages.
    /// </summary>
    public JsonElement? ResponseSchema { get; init; }
}

/// <summary>A judge-model answer.</summary>
public sealed record ChatModelResponse
{
    /// <summary>The answer text (null when the model refused).</summary>
    public string? Content { get; init; }

    /// <summary>The refusal message, when the model refused.</summary>
    public string? Refusal { get; init; }

    /// <summary>Why generation stopped (<c>stop</c>, <c>length</c>, <c>content_filter</c>, ...).</summary>
    public string? FinishReason { get; init; }

    /// <summary>The model that actually answered.</summary>
    public string? Model { get; init; }

    /// <summary>Token usage, when reported.</summary>
    public TokenUsage? Usage { get; init; }
}

/// <summary>
/// A chat model used as a judge by score_model and label_model graders. The app supplies one: the HTTP client for an
/// OpenAI-compatible endpoint (<see cref="OpenAiChatJudge"/>) or its own in-process models.
/// Failures are exceptions; the grader turns them into <c>model_grader_server_error</c>.
/// </summary>
public interface IChatModelClient
{
    /// <summary>Asks the judge once.</summary>
    Task<ChatModelResponse> CompleteAsync(ChatModelRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// Turns texts into embedding vectors for the cosine text_similarity metric: an OpenAI-compatible embeddings endpoint
/// (<see cref="OpenAiEmbeddings"/>) or the app's own model.
/// </summary>
public interface IEmbeddingProvider
{
    /// <summary>One vector per input text, in order.</summary>
    Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}
