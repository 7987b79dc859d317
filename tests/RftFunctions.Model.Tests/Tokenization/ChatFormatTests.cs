using System.Text.Json;
using System.Text.Json.Nodes;
using RftFunctions.Model.Tokenization;
using RftFunctions.Model.Tokenization.Chat;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// Llama 3, Llama 3.1, plain ChatML and rft-tiny rendering, family detection and the unknown-template error. Where the
/// template is simple enough for the JavaScript Jinja engine of @lenml/tokenizers (Llama 3.0, rft-tiny), our output is
/// also compared with that engine's rendering of the template itself.
/// </summary>
[Collection(Qwen3TokenizerCollection.Name)]
public sealed class ChatFormatTests(Qwen3TokenizerFixture qwen)
{
    // The chat_template of Meta-Llama-3-8B-Instruct's tokenizer_config.json.
    private const string Llama3Template =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + " +
        "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}" +
        "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    // Enough of the Llama 3.1 template for detection: the date header is what tells 3.1+ from 3.0.
    private const string Llama31TemplateExcerpt =
        "{{- bos_token }}{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}{{- \"Cutting Knowledge Date: December 2023\\n\" }}" +
        "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}{{- system_message }}{{- \"<|eot_id|>\" }}";

    private static readonly ChatMessage[] Conversation =
    [
        ChatMessage.System("  You are terse.\n"),
        ChatMessage.User("What is 2+2?  "),
        ChatMessage.Assistant("\n4"),
        ChatMessage.User("Thanks ✓ 谢谢"),
    ];

    [Fact]
    public void Llama3_renders_headers_with_trimmed_content_after_bos()
    {
        var format = ChatFormat.FromTemplate(Llama3Template, "<|begin_of_text|>")!;
        Assert.Equal("llama3", format.Name);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nThanks ✓ 谢谢<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", format.Render(Conversation));
    }

    [Fact]
    public async Task Llama3_and_rft_tiny_match_the_javascript_jinja_rendering_of_their_templates()
    {
        var toolConversation = new[]
        {
            ChatMessage.Developer("Use tools."),
            ChatMessage.User("Weather?"),
            ChatMessage.Assistant("Checking.", new ChatToolCall("get_weather", "{\"city\": \"Paris\"}"), new ChatToolCall("get_time", "{}")),
            ChatMessage.Tool("sunny"),
            ChatMessage.Assistant("", new ChatToolCall("noop", "{}")),
        };
        var cases = new List<(string Template, string? Bos, bool Prompt, ChatMessage[] Messages, ChatFormat Format)>
        {
            (Llama3Template, "<|begin_of_text|>", true, Conversation, new Llama3ChatFormat("<|begin_of_text|>", dateHeader: false)),
            (Llama3Template, "<|begin_of_text|>", false, Conversation[1..3], new Llama3ChatFormat("<|begin_of_text|>", dateHeader: false)),
            (RftTinyChatFormat.JinjaTemplate, null, true, Conversation, new RftTinyChatFormat()),
            (RftTinyChatFormat.JinjaTemplate, null, false, toolConversation, new RftTinyChatFormat()),
        };
        var input = new JsonArray();
        foreach (var c in cases)
        {
            input.Add(new JsonObject
            {
                ["template"] = c.Template,
                ["bos_token"] = c.Bos,
                ["add_generation_prompt"] = c.Prompt,
                ["messages"] = new JsonArray(c.Messages.Select(ToOpenAiJson).ToArray()),
            });
        }
        var rendered = await RenderWithJavaScriptAsync(input);
        for (int i = 0; i < cases.Count; i++)
        {
            var ours = cases[i].Format.Render(cases[i].Messages, new ChatRenderOptions { AddGenerationPrompt = cases[i].Prompt });
            Assert.True(ours == rendered[i], $"case {i} ({cases[i].Format.Name}):\n ours: {JsonSerializer.Serialize(ours)}\n jinja: {JsonSerializer.Serialize(rendered[i])}");
        }
    }

    [Fact]
    public void Llama31_has_the_date_header_and_renders_tool_calls_and_ipython_results()
    {
        var format = ChatFormat.FromTemplate(Llama31TemplateExcerpt, "<|begin_of_text|>")!;
        Assert.Equal("llama3.1", format.Name);
        var text = format.Render(
        [
            ChatMessage.System("Be brief. "),
            ChatMessage.User("Weather in Paris?"),
            ChatMessage.Assistant("", new ChatToolCall("get_weather", "{\"city\":\"Paris\",\"units\":[\"C\"]}")),
            ChatMessage.Tool("{\"temp\": 21}"),
        ]);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"units\": [\"C\"]}}<|eot_id|>" +
            "<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"temp\\\": 21}\"<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    // An OpenAI-style function definition and its json.dumps(indent=4) form, as the Llama 3.1 template writes it.
    private const string WeatherTool =
        "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Météo ☀\", \"parameters\": " +
        "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\", \"enum\": [1, 3]}}, \"required\": [\"city\"], \"extra\": {}}}}";

    private const string WeatherToolIndented =
        "{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Météo ☀\",\n" +
        "        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n" +
        "                    \"type\": \"string\"\n                },\n                \"days\": {\n                    \"type\": \"integer\",\n" +
        "                    \"enum\": [\n                        1,\n                        3\n                    ]\n                }\n            },\n" +
        "            \"required\": [\n                \"city\"\n            ],\n            \"extra\": {}\n        }\n    }\n}";

    private const string LlamaToolInstructions =
        "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n";

    [Fact]
    public void Llama31_puts_tool_definitions_into_the_first_user_message_as_meta_s_template_does()
    {
        var format = new Llama3ChatFormat("<|begin_of_text|>", dateHeader: true);
        var text = format.Render([ChatMessage.System(" Be brief. "), ChatMessage.User(" Weather in Paris? "), ChatMessage.Assistant("Checking.")],
            new ChatRenderOptions { Tools = [WeatherTool] });
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments " +
            "that best answers the given prompt.\n\n" + LlamaToolInstructions + WeatherToolIndented + "\n\nWeather in Paris?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nChecking.<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Llama31_can_put_tool_definitions_into_the_system_turn()
    {
        var format = new Llama3ChatFormat("<|begin_of_text|>", dateHeader: true);
        var text = format.Render([ChatMessage.Developer("Be brief."), ChatMessage.User("Weather?")],
            new ChatRenderOptions { Tools = [WeatherTool, "{\"name\": \"noop\", \"parameters\": {}}"], LlamaToolsInUserMessage = false, AddGenerationPrompt = false });
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "You have access to the following functions. To call a function, please respond with JSON for a function call." + LlamaToolInstructions +
            WeatherToolIndented + "\n\n{\n    \"name\": \"noop\",\n    \"parameters\": {}\n}\n\nBe brief.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWeather?<|eot_id|>", text);
    }

    [Fact]
    public void Llama3_renders_tool_definitions_and_calls_with_the_31_conventions_and_results_as_tool_turns()
    {
        var format = new Llama3ChatFormat("<|begin_of_text|>", dateHeader: false);
        var text = format.Render(
        [
            ChatMessage.System("S"),
            ChatMessage.User("Weather?"),
            ChatMessage.Assistant("", new ChatToolCall("get_weather", "{\"city\":\"Paris\"}")),
            ChatMessage.Tool(" sunny "),
        ], new ChatRenderOptions { Tools = ["{\"name\": \"get_weather\"}"] });
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments " +
            "that best answers the given prompt.\n\n" + LlamaToolInstructions + "{\n    \"name\": \"get_weather\"\n}\n\nWeather?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>" +
            "<|start_header_id|>tool<|end_header_id|>\n\nsunny<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Llama31_without_a_system_message_still_writes_the_date_header()
    {
        var format = new Llama3ChatFormat("<|begin_of_text|>", dateHeader: true);
        var text = format.Render([ChatMessage.User("Hi")], new ChatRenderOptions { LlamaDateString = "01 Jan 2026" });
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 01 Jan 2026\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Rft_tiny_renders_plain_chatml_with_tool_calls()
    {
        var text = new RftTinyChatFormat().Render(
        [
            ChatMessage.Developer("D"),
            ChatMessage.User("U"),
            ChatMessage.Assistant("A", new ChatToolCall("f", "{\"x\": 1}")),
            ChatMessage.Tool("R"),
        ]);
        Assert.Equal(
            "<|im_start|>system\nD<|im_end|>\n<|im_start|>user\nU<|im_end|>\n" +
            "<|im_start|>assistant\nA\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>tool\nR<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void The_rft_tiny_template_is_detected_from_its_marker()
    {
        var config = new TokenizerConfig { ChatTemplate = RftTinyChatFormat.JinjaTemplate };
        Assert.Equal("rft-tiny", ChatFormat.FromConfig(config).Name);
    }

    [Fact]
    public void Plain_chatml_with_a_qwen25_default_system_prompt_inserts_it()
    {
        var template = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
                       "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}";
        var format = ChatFormat.FromTemplate(template)!;
        Assert.Equal("chatml", format.Name);
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            format.Render([ChatMessage.User("Hi")]));
    }

    [Fact]
    public void An_unknown_template_is_an_error_naming_the_field_unless_the_caller_opts_into_the_fallback()
    {
        var config = new TokenizerConfig { ChatTemplate = "{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}" };
        var error = Assert.Throws<TokenizerFormatException>(() => ChatFormat.FromConfig(config));
        Assert.Equal("chat_template", error.Field);
        Assert.Contains("tokenizer_config.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("ChatFormatFallback.RftTiny", error.Message, StringComparison.Ordinal);
        Assert.Equal("rft-tiny", ChatFormat.FromConfig(config, ChatFormatFallback.RftTiny).Name);

        var missing = Assert.Throws<TokenizerFormatException>(() => ChatFormat.FromConfig(TokenizerConfig.Empty));
        Assert.Contains("no chat template", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_messages_and_unsupported_features_are_clear_errors()
    {
        var chatml = new ChatMlFormat(ChatMlVariant.Qwen3, defaultSystem: null);
        Assert.Contains("role 'robot'", Assert.Throws<ArgumentException>(() => chatml.Render([new ChatMessage("robot", "x")])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => chatml.Render([]));
        Assert.Contains("only assistant", Assert.Throws<ArgumentException>(() =>
            chatml.Render([new ChatMessage("user", "x") { ToolCalls = [new ChatToolCall("f", "{}")] }])).Message, StringComparison.Ordinal);
        Assert.Contains("tool definition 0", Assert.Throws<ArgumentException>(() =>
            chatml.Render([ChatMessage.User("x")], new ChatRenderOptions { Tools = ["{not json"] })).Message, StringComparison.Ordinal);
        Assert.Contains("first user message", Assert.Throws<ArgumentException>(() => new Llama3ChatFormat("<s>", dateHeader: true).Render(
            [ChatMessage.System("S")], new ChatRenderOptions { Tools = [WeatherTool] })).Message, StringComparison.Ordinal);
        Assert.Contains("tool definition 0", Assert.Throws<ArgumentException>(() => new Llama3ChatFormat("<s>", dateHeader: true).Render(
            [ChatMessage.User("x")], new ChatRenderOptions { Tools = ["[1,"] })).Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => new Llama3ChatFormat("<s>", dateHeader: true).Render(
            [ChatMessage.Assistant("", new ChatToolCall("f", "{}"), new ChatToolCall("g", "{}"))]));
    }

    private static JsonObject ToOpenAiJson(ChatMessage message)
    {
        var json = new JsonObject { ["role"] = message.Role, ["content"] = message.Content };
        if (message.ToolCalls.Count > 0)
        {
            json["tool_calls"] = new JsonArray(message.ToolCalls.Select(c => (JsonNode)new JsonObject
            {
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
            }).ToArray());
        }
        return json;
    }

    private async Task<List<string>> RenderWithJavaScriptAsync(JsonArray cases)
    {
        var work = Directory.CreateTempSubdirectory("rft-chat-reference-");
        try
        {
            var input = Path.Combine(work.FullName, "cases.json");
            var output = Path.Combine(work.FullName, "rendered.json");
            await File.WriteAllTextAsync(input, cases.ToJsonString(), TestContext.Current.CancellationToken);
            await NodeReference.RunNodeAsync(qwen.Root,
                [NodeReference.ScriptPath(qwen.Root, "chat-reference.cjs"), qwen.Root, input, output], TestContext.Current.CancellationToken);
            return JsonSerializer.Deserialize<List<string>>(await File.ReadAllTextAsync(output, TestContext.Current.CancellationToken))!;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }
}
