using System.Text;

namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>
/// Llama 3 headers: <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\n</c> + trimmed content +
/// <c>&lt;|eot_id|&gt;</c>, after the BOS token. The 3.1+ variant (templates mentioning "Cutting Knowledge Date")
/// always opens with a system turn carrying the knowledge-cutoff and date lines, writes a tool result as an
/// <c>ipython</c> turn holding its JSON encoding, and an assistant tool call as {"name": ..., "parameters": ...}.
/// Tool definitions (the 3.1 template's JSON function list) are not rendered: passing them is an error.
/// </summary>
public sealed class Llama3ChatFormat : ChatFormat
{
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
        if (options.Tools.Count > 0)
            throw new NotSupportedException($"the {Name} chat format does not render tool definitions; describe the tools in the system message instead");
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
            Header(text, "system").Append("Cutting Knowledge Date: December 2023\nToday Date: ").Append(options.LlamaDateString)
                .Append("\n\n").Append(system).Append("<|eot_id|>");
        }
        for (int i = start; i < messages.Count; i++)
        {
            var message = messages[i];
            if (message.ToolCalls.Count > 0)
            {
                if (!_dateHeader)
                    throw new NotSupportedException($"message {i}: the Llama 3.0 chat format has no tool calls");
                if (message.ToolCalls.Count != 1)
                    throw new NotSupportedException($"message {i}: Llama 3.1 renders exactly one tool call per assistant turn, found {message.ToolCalls.Count}");
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

    private static StringBuilder Header(StringBuilder text, string role) =>
        text.Append("<|start_header_id|>").Append(role).Append("<|end_header_id|>\n\n");
}
