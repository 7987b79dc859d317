namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>A function call an assistant message makes (OpenAI shape: a name and JSON-encoded arguments).</summary>
/// <param name="Name">The function name.</param>
/// <param name="Arguments">The arguments as a JSON object text, exactly as the model wrote or will write them.</param>
public sealed record ChatToolCall(string Name, string Arguments);

/// <summary>
/// One conversation turn to render with a chat template. Roles: <c>system</c>, <c>developer</c> (the OpenAI name for
/// a system message; rendered as system), <c>user</c>, <c>assistant</c> and <c>tool</c> (a function result).
/// </summary>
public sealed record ChatMessage
{
    /// <summary>Creates a message.</summary>
    public ChatMessage(string role, string content)
    {
        ArgumentNullException.ThrowIfNull(role);
        ArgumentNullException.ThrowIfNull(content);
        Role = role;
        Content = content;
    }

    /// <summary>system, developer, user, assistant or tool.</summary>
    public string Role { get; }

    /// <summary>The message text (empty for an assistant turn that only calls tools).</summary>
    public string Content { get; }

    /// <summary>Tool calls of an assistant message.</summary>
    public IReadOnlyList<ChatToolCall> ToolCalls { get; init; } = [];

    /// <summary>An assistant's separate reasoning text (Qwen3 renders it inside &lt;think&gt;), or null.</summary>
    public string? ReasoningContent { get; init; }

    /// <summary>A system message.</summary>
    public static ChatMessage System(string content) => new("system", content);

    /// <summary>A developer message (rendered as a system message).</summary>
    public static ChatMessage Developer(string content) => new("developer", content);

    /// <summary>A user message.</summary>
    public static ChatMessage User(string content) => new("user", content);

    /// <summary>An assistant message, optionally with tool calls.</summary>
    public static ChatMessage Assistant(string content, params ChatToolCall[] toolCalls) => new("assistant", content) { ToolCalls = toolCalls };

    /// <summary>A tool (function) result.</summary>
    public static ChatMessage Tool(string content) => new("tool", content);
}

/// <summary>Rendering choices that are not messages.</summary>
public sealed record ChatRenderOptions
{
    /// <summary>End with the header of a new assistant turn, so the model's next tokens are its reply (default true).</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>Qwen3 only: false renders an empty think block so the model answers without reasoning; null leaves it on.</summary>
    public bool? EnableThinking { get; init; }

    /// <summary>Tool (function) definitions as JSON object texts, e.g. {"type": "function", "function": {...}}.</summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>
    /// Llama 3.1+ only: tool definitions go into the first user message (true, the template's default) or into the
    /// system turn (false, the template's <c>tools_in_user_message=False</c>).
    /// </summary>
    public bool LlamaToolsInUserMessage { get; init; } = true;

    /// <summary>Llama 3.1+ only: the "Today Date" of the system header (the template's default).</summary>
    public string LlamaDateString { get; init; } = "26 Jul 2024";
}
