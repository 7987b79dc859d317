using System.Text.Json;

namespace RftFunctions.Functions.Api.Chat;

/// <summary>
/// The top-level fields of OpenAI's chat completions request. The official SDKs (openai-dotnet, openai-node,
/// openai-python) send only these, so any of them is accepted (ChatRequest checks the ones it uses and refuses
/// unsupported values where the difference matters); any other field is a typo or a feature this server does not
/// have, and is a 400 naming it, as OpenAI answers, instead of being silently ignored.
/// </summary>
public static class ChatParameters
{
    /// <summary>Every field of OpenAI's request body (including deprecated ones SDKs still send).</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "model", "messages", "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "metadata", "modalities", "n", "parallel_tool_calls", "prediction",
        "presence_penalty", "prompt_cache_key", "prompt_cache_retention", "reasoning_effort", "response_format",
        "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options", "temperature",
        "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity", "web_search_options",
    };

    /// <summary>Throws a 400 naming the first field OpenAI's API does not define.</summary>
    public static void RefuseUnknown(JsonElement body)
    {
        foreach (var property in body.EnumerateObject())
            if (!Known.Contains(property.Name))
                throw ApiException.BadRequest($"Unrecognized request argument supplied: {property.Name}", property.Name, "unknown_parameter");
    }
}
