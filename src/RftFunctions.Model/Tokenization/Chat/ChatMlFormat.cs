using System.Text;

namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>Which ChatML template a <see cref="ChatMlFormat"/> reproduces.</summary>
public enum ChatMlVariant
{
    /// <summary>Qwen3: reasoning in &lt;think&gt; blocks for turns after the last user query, enable_thinking.</summary>
    Qwen3,

    /// <summary>Qwen2/2.5 and generic ChatML: every message as <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c>.</summary>
    Plain,
}

/// <summary>
/// ChatML (<c>&lt;|im_start|&gt;role\n...&lt;|im_end|&gt;\n</c>) as the Qwen templates render it, including tool
/// definitions in the system turn, assistant tool calls in &lt;tool_call&gt; blocks and tool results as user turns
/// wrapped in &lt;tool_response&gt;. The Qwen3 variant follows the Qwen3 tokenizer_config.json template line by line.
/// </summary>
public sealed class ChatMlFormat : ChatFormat
{
    private readonly ChatMlVariant _variant;
    private readonly string? _defaultSystem;

    /// <summary>Creates the renderer; <paramref name="defaultSystem"/> is the system text used when none is given.</summary>
    public ChatMlFormat(ChatMlVariant variant, string? defaultSystem)
    {
        _variant = variant;
        _defaultSystem = defaultSystem;
    }

    /// <inheritdoc />
    public override string Name => _variant == ChatMlVariant.Qwen3 ? "chatml-qwen3" : "chatml";

    /// <inheritdoc />
    protected override string RenderCore(IReadOnlyList<ChatMessage> messages, ChatRenderOptions options)
    {
        var text = new StringBuilder();
        bool firstIsSystem = messages[0].Role == "system";
        string? system = firstIsSystem ? messages[0].Content : _defaultSystem;
        if (options.Tools.Count > 0)
        {
            text.Append("<|im_start|>system\n");
            if (system is not null) text.Append(system).Append("\n\n");
            text.Append("# Tools\n\nYou may call one or more functions to assist with the user query.\n\n")
                .Append("You are provided with function signatures within <tools></tools> XML tags:\n<tools>");
            for (int i = 0; i < options.Tools.Count; i++)
                text.Append('\n').Append(PythonText.ToJson(options.Tools[i], $"tool definition {i}"));
            text.Append("\n</tools>\n\nFor each function call, return a json object with function name and arguments within ")
                .Append("<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n");
        }
        else if (system is not null)
        {
            text.Append("<|im_start|>system\n").Append(system).Append("<|im_end|>\n");
        }

        int lastQuery = LastQueryIndex(messages);
        for (int i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            bool last = i == messages.Count - 1;
            switch (message.Role)
            {
                case "system" when i == 0:
                    break; // Rendered above.
                case "user" or "system":
                    text.Append("<|im_start|>").Append(message.Role).Append('\n').Append(message.Content).Append("<|im_end|>\n");
                    break;
                case "assistant":
                    AppendAssistant(text, message, afterLastQuery: i > lastQuery, last);
                    break;
                case "tool":
                    if (i == 0 || messages[i - 1].Role != "tool") text.Append("<|im_start|>user");
                    text.Append("\n<tool_response>\n").Append(message.Content).Append("\n</tool_response>");
                    if (last || messages[i + 1].Role != "tool") text.Append("<|im_end|>\n");
                    break;
            }
        }
        if (options.AddGenerationPrompt)
        {
            text.Append("<|im_start|>assistant\n");
            if (_variant == ChatMlVariant.Qwen3 && options.EnableThinking == false) text.Append("<think>\n\n</think>\n\n");
        }
        return text.ToString();
    }

    private void AppendAssistant(StringBuilder text, ChatMessage message, bool afterLastQuery, bool last)
    {
        var content = message.Content;
        if (_variant == ChatMlVariant.Qwen3)
        {
            string reasoning = "";
            if (message.ReasoningContent is not null)
            {
                reasoning = message.ReasoningContent;
            }
            else if (content.Contains("</think>", StringComparison.Ordinal))
            {
                // content.split('</think>')[-1].lstrip('\n') and the text between <think> and the first </think>.
                var parts = content.Split("</think>");
                var head = PythonText.Strip(parts[0], '\n', left: false).Split("<think>");
                reasoning = PythonText.Strip(head[^1], '\n', right: false);
                content = PythonText.Strip(parts[^1], '\n', right: false);
            }
            // Reasoning is shown only for turns after the last user query (the current multi-step tool exchange).
            if (afterLastQuery && (last || reasoning.Length > 0))
            {
                text.Append("<|im_start|>assistant\n<think>\n").Append(PythonText.Strip(reasoning, '\n'))
                    .Append("\n</think>\n\n").Append(PythonText.Strip(content, '\n', right: false));
            }
            else
            {
                text.Append("<|im_start|>assistant\n").Append(content);
            }
        }
        else
        {
            text.Append("<|im_start|>assistant\n").Append(content);
        }
        for (int i = 0; i < message.ToolCalls.Count; i++)
        {
            if ((i == 0 && content.Length > 0) || i > 0) text.Append('\n');
            var call = message.ToolCalls[i];
            // An arguments string is written as is (the template's "is string" branch).
            text.Append("<tool_call>\n{\"name\": \"").Append(call.Name).Append("\", \"arguments\": ").Append(call.Arguments).Append("}\n</tool_call>");
        }
        text.Append("<|im_end|>\n");
    }

    // The index of the last user message that is a real query, not a <tool_response> wrapper (Qwen3's
    // ns.last_query_index); the last message's index when there is none.
    private static int LastQueryIndex(IReadOnlyList<ChatMessage> messages)
    {
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            var m = messages[i];
            if (m.Role == "user" && !(m.Content.StartsWith("<tool_response>", StringComparison.Ordinal) && m.Content.EndsWith("</tool_response>", StringComparison.Ordinal)))
                return i;
        }
        return messages.Count - 1;
    }
}
