namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>What to use when tokenizer_config.json has no chat template this project recognises.</summary>
public enum ChatFormatFallback
{
    /// <summary>No fallback: an unknown or missing template is an error (the default).</summary>
    None,

    /// <summary>Render with the project's own <see cref="RftTinyChatFormat"/> (plain ChatML).</summary>
    RftTiny,
}

/// <summary>
/// A conversation renderer for one chat-template family. The Jinja templates of tokenizer_config.json are not
/// executed: <see cref="FromTemplate"/> recognises the family from its text and a hand-written renderer produces the
/// same string. Supported: Qwen3 ChatML, other ChatML (Qwen2/2.5 style), Llama 3 and 3.1+, and rft-tiny.
/// </summary>
public abstract class ChatFormat
{
    /// <summary>A short name of the family and variant (e.g. "chatml-qwen3", "llama3.1", "rft-tiny").</summary>
    public abstract string Name { get; }

    /// <summary>Renders <paramref name="messages"/> to the prompt text (special tokens written as text).</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, ChatRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) throw new ArgumentException("a conversation needs at least one message", nameof(messages));
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role is not ("system" or "developer" or "user" or "assistant" or "tool"))
                throw new ArgumentException($"message {i} has role '{messages[i].Role}'; expected system, developer, user, assistant or tool", nameof(messages));
            if (messages[i].ToolCalls.Count > 0 && messages[i].Role != "assistant")
                throw new ArgumentException($"message {i} ({messages[i].Role}) has tool calls; only assistant messages may", nameof(messages));
        }
        // OpenAI's "developer" role is the system message of newer APIs; the open-model templates only know "system".
        var normalized = messages.Select(m => m.Role == "developer" ? new ChatMessage("system", m.Content) { ToolCalls = m.ToolCalls, ReasoningContent = m.ReasoningContent } : m).ToList();
        return RenderCore(normalized, options ?? new ChatRenderOptions());
    }

    /// <summary>Renders messages whose roles are already checked and whose developer role became system.</summary>
    protected abstract string RenderCore(IReadOnlyList<ChatMessage> messages, ChatRenderOptions options);

    /// <summary>
    /// The format of <paramref name="config"/>'s chat template; with no template or an unrecognised one, the
    /// <paramref name="fallback"/> if the caller opted into one, else a <see cref="TokenizerFormatException"/>.
    /// </summary>
    public static ChatFormat FromConfig(TokenizerConfig config, ChatFormatFallback fallback = ChatFormatFallback.None)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ChatTemplate is null)
        {
            return Fallback(fallback, "missing: the tokenizer has no chat template (no chat_template field and no chat_template.jinja)");
        }
        var format = FromTemplate(config.ChatTemplate, config.BosToken);
        return format ?? Fallback(fallback,
            "not a recognised family (ChatML with <|im_start|>, Llama 3 with <|start_header_id|>, or rft-tiny); " +
            "pass ChatFormatFallback.RftTiny to render with the plain rft-tiny ChatML format instead");
    }

    /// <summary>The format a Jinja chat template belongs to, or null when it is not recognised.</summary>
    public static ChatFormat? FromTemplate(string template, string? bosToken = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.Contains(RftTinyChatFormat.Marker, StringComparison.Ordinal)) return new RftTinyChatFormat();
        if (template.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            // Qwen3's template splits reasoning at </think> and tracks the last real user query.
            if (template.Contains("</think>", StringComparison.Ordinal) && template.Contains("last_query_index", StringComparison.Ordinal))
                return new ChatMlFormat(ChatMlVariant.Qwen3, defaultSystem: null);
            return new ChatMlFormat(ChatMlVariant.Plain, DefaultSystemOf(template));
        }
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal) && template.Contains("<|eot_id|>", StringComparison.Ordinal))
        {
            var bos = bosToken ?? "<|begin_of_text|>";
            return template.Contains("Cutting Knowledge Date", StringComparison.Ordinal) ? new Llama3ChatFormat(bos, dateHeader: true) : new Llama3ChatFormat(bos, dateHeader: false);
        }
        return null;
    }

    private static ChatFormat Fallback(ChatFormatFallback fallback, string problem) => fallback switch
    {
        ChatFormatFallback.RftTiny => new RftTinyChatFormat(),
        _ => throw new TokenizerFormatException(HuggingFaceTokenizer.ConfigFileName, "chat_template", problem),
    };

    // Qwen2/2.5 templates insert a fixed system message when the conversation has none.
    private static string? DefaultSystemOf(string template)
    {
        const string Qwen25 = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
        const string Qwen2 = "You are a helpful assistant.";
        if (template.Contains(Qwen25, StringComparison.Ordinal)) return Qwen25;
        if (template.Contains("'<|im_start|>system\\n" + Qwen2, StringComparison.Ordinal)) return Qwen2;
        return null;
    }
}
