using System.Text;

namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>
/// Llama 3 headers: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n</c> + trimmed content +
/// <c>&lt;|eot_id|&gt;</c>, after the BOS token. The 3.1+ variant (templates mentioning "Cutting Knowledge Date")
/// follows Meta's Llama 3.1 template: it always opens with a system turn carrying the knowledge-cutoff and date lines
/// ("Environment: ipython" first when tools are given), writes the JSON tool definitions (<c>tojson(indent=4)</c>) with
/// Meta's instructions into the first user message (or, with <see cref="ChatRenderOptions.LlamaToolsInUserMessage"/>
/// false, into the system turn), an assistant tool call as {"name": ..., "parameters": ...} (one per turn, as the
/// template demands), and a tool result as an <c>ipython</c> turn holding its JSON encoding.
/// Llama 3.0's template has no tool support at all (transformers would silently drop tool calls and definitions):
/// this renderer writes 3.0 tool definitions and calls with the same 3.1 conventions instead, and 3.0 tool results as
/// the template does (a <c>tool</c> turn with trimmed content).
/// </summary>
public sealed class Llama3ChatFormat : ChatFormat
{
    private const string CallFormat = "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.";

    private readonly string _bos;
    private readonly bool _dateHeader;

    /// <summary>Creates the renderer with the BOS token text and whether the 3.1+ system header is used.</summary>
    public Llama3ChatFormat(string bosToken, bool dateHeader)
    {
        _bos = bosToken;
        _dateHeader = dateHeader;
    }

    /// <inheritdoc />
    public override string Name => _dateHeader ? "llama3.1" : "llama3";

    /// <inheritdoc />
    protected override string RenderCore(IReadOnlyList<ChatMessage> messages, ChatRenderOptions options)
    {
        var tools = options.Tools.Select((t, i) => PythonText.ToJson(t, $"tool definition {i}", indent: 4)).ToList();
        bool hasTools = tools.Count > 0;
        bool toolsInUser = hasTools && (options.LlamaToolsInUserMessage || !_dateHeader);
        var text = new StringBuilder(_bos);
        int start = 0;
        if (_dateHeader)
        {
            string system = "";
            if (messages[0].Role == "system")
            {
                system = PythonText.Strip(messages[0].Content);
                start = 1;
            }
            Header(text, "system");
            if (hasTools) text.Append("Environment: ipython\n");
            text.Append("Cutting Knowledge Date: December 2023\nToday Date: ").Append(options.LlamaDateString).Append("\n\n");
            if (hasTools && !toolsInUser)
            {
                text.Append("You have access to the following functions. To call a function, please respond with JSON for a function call.")
                    .Append(CallFormat).Append("Do not use variables.\n\n");
                AppendTools(text, tools);
            }
            text.Append(system).Append("<|eot_id|>");
        }
        else if (hasTools && messages[0].Role == "system")
        {
            // 3.0: the system turn stays where it is; the tools go into the first user message after it.
            Header(text, "system").Append(PythonText.Strip(messages[0].Content)).Append("<|eot_id|>");
            start = 1;
        }
        if (toolsInUser)
        {
            if (start >= messages.Count || messages[start].Role != "user")
                throw new ArgumentException($"the {Name} chat format puts tool definitions into the first user message, and message {start} is not a user message", nameof(messages));
            Header(text, "user").Append("Given the following functions, please respond with a JSON for a function call ")
                .Append("with its proper arguments that best answers the given prompt.\n\n").Append(CallFormat).Append("Do not use variables.\n\n");
            AppendTools(text, tools);
            text.Append(PythonText.Strip(messages[start].Content)).Append("<|eot_id|>");
            start++;
        }
        for (int i = start; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.ToolCalls.Count > 0)
            {
                if (message.ToolCalls.Count != 1)
                    throw new NotSupportedException($"message {i}: Llama 3 renders exactly one tool call per assistant turn, found {message.ToolCalls.Count}");
                var call = message.ToolCalls[0];
                Header(text, "assistant").Append("{\"name\": \"").Append(call.Name).Append("\", \"parameters\": ")
                    .Append(PythonText.ToJson(call.Arguments, $"message {i} tool call arguments")).Append("}<|eot_id|>");
            }
            else if (message.Role == "tool" && _dateHeader)
            {
                // The 3.1 template writes `content | tojson` because a string "is iterable" in Jinja: a quoted JSON string.
                Header(text, "ipython").Append(PythonText.ToJsonString(message.Content)).Append("<|eot_id|>");
            }
            else
            {
                Header(text, message.Role).Append(PythonText.Strip(message.Content)).Append("<|eot_id|>");
            }
        }
        if (options.AddGenerationPrompt) Header(text, "assistant");
        return text.ToString();
    }

    private static void AppendTools(StringBuilder text, List<string> tools)
    {
        foreach (var tool in tools) text.Append(tool).Append("\n\n");
    }

    private static StringBuilder Header(StringBuilder text, string role) =>
        text.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n");
}
