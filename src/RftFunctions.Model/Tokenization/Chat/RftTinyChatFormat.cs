using System.Text;

namespace RftFunctions.Model.Tokenization.Chat;

/// <summary>
/// "rft-tiny", the chat format of the project's own tiny models: plain ChatML, chosen because their byte tokenizer
/// has exactly the ChatML special tokens (&lt;|im_start|&gt;, &lt;|im_end|&gt;, &lt;|endoftext|&gt;). Each message is
/// <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> with role system (developer is written as system),
/// user, assistant or tool; an assistant's tool calls follow its content, one
/// <c>&lt;tool_call&gt;\n{"name": "...", "arguments": {...}}\n&lt;/tool_call&gt;</c> per call, separated from the
/// content and from each other by a newline. No default system message, no reasoning blocks. The generation prompt is
/// <c>&lt;|im_start|&gt;assistant\n</c> and generation stops at &lt;|im_end|&gt;. <see cref="JinjaTemplate"/> is the
/// same format as a Jinja template for tokenizer_config.json, so Hugging Face transformers renders it identically.
/// </summary>
public sealed class RftTinyChatFormat : ChatFormat
{
    /// <summary>The comment that identifies the template.</summary>
    public const string Marker = "rft-tiny chat format v1";

    /// <summary>The Jinja template to save as chat_template in a tiny model's tokenizer_config.json.</summary>
    public const string JinjaTemplate =
        "{#- " + Marker + " -#}\n" +
        "{%- for message in messages -%}\n" +
        "{%- if message.role == 'developer' -%}{%- set role = 'system' -%}{%- else -%}{%- set role = message.role -%}{%- endif -%}\n" +
        "{{- '<|im_start|>' + role + '\\n' + message.content -}}\n" +
        "{%- if message.tool_calls is defined and message.tool_calls -%}\n" +
        "{%- for call in message.tool_calls -%}\n" +
        "{%- if not loop.first or message.content -%}{{- '\\n' -}}{%- endif -%}\n" +
        "{{- '<tool_call>\\n{\"name\": \"' + call.function.name + '\", \"arguments\": ' + call.function.arguments + '}\\n</tool_call>' -}}\n" +
        "{%- endfor -%}\n" +
        "{%- endif -%}\n" +
        "{{- '<|im_end|>\\n' -}}\n" +
        "{%- endfor -%}\n" +
        "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}\n";

    /// <inheritdoc />
    public override string Name => "rft-tiny";

    /// <inheritdoc />
    protected override string RenderCore(IReadOnlyList<ChatMessage> messages, ChatRenderOptions options)
    {
        if (options.Tools.Count > 0)
            throw new NotSupportedException("the rft-tiny chat format does not render tool definitions; describe the tools in the system message instead");
        var text = new StringBuilder();
        foreach (var message in messages)
        {
            text.Append("<|im_start|>").Append(message.Role).Append('\n').Append(message.Content);
            for (int i = 0; i < message.ToolCalls.Count; i++)
            {
                if (i > 0 || message.Content.Length > 0) text.Append('\n');
                var call = message.ToolCalls[i];
                text.Append("<tool_call>\n{\"name\": \"").Append(call.Name).Append("\", \"arguments\": ").Append(call.Arguments).Append("}\n</tool_call>");
            }
            text.Append("<|im_end|>\n");
        }
        if (options.AddGenerationPrompt) text.Append("<|im_start|>assistant\n");
        return text.ToString();
    }
}
