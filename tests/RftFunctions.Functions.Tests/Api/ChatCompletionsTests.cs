#pragma warning disable OPENAI001 // Seed is marked experimental in the OpenAI client
using System.ClientModel;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>Models and chat completions driven by the official OpenAI .NET client against the running API.</summary>
public sealed class ChatCompletionsTests(StorageFixture storage) : IAsyncLifetime
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly string _folder = Directory.CreateTempSubdirectory("rft-tiny-").FullName;
    private ApiServer _server = null!;
    private string _key = "";

    public async ValueTask InitializeAsync()
    {
        TinyModelFactory.CreateFolder(_folder, ModelArchitecture.Qwen3, seed: 11);
        _server = await ApiServer.StartAsync(storage);
        _key = await _server.CreateKeyAsync("chat");
        using var client = _server.Client(_key);
        var json = System.Text.Json.JsonSerializer.Serialize(new { id = "tiny-qwen3", path = _folder });
        await ApiAssert.OkAsync(await client.PostJson("v1/models", json));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private OpenAIClientOptions Options => new() { Endpoint = new Uri(_server.BaseAddress, "v1") };

    private ChatClient Chat(string model) => new(model, new ApiKeyCredential(_key), Options);

    [Fact]
    public async Task Chat_with_a_seed_is_reproducible_and_streaming_yields_the_same_text()
    {
        var chat = Chat("tiny-qwen3");
        ChatMessage[] messages = [new SystemChatMessage("You rank genes."), new UserChatMessage("Which gene?")];
        var options = new ChatCompletionOptions { Seed = 7, Temperature = 1.0f, MaxOutputTokenCount = 24, IncludeLogProbabilities = true };

        ChatCompletion first = await chat.CompleteChatAsync(messages, options, _ct);
        ChatCompletion second = await chat.CompleteChatAsync(messages, options, _ct);
        Assert.Equal(first.Content[0].Text, second.Content[0].Text);
        Assert.Equal("tiny-qwen3", first.Model);
        Assert.True(first.Usage.InputTokenCount > 0);
        Assert.InRange(first.Usage.OutputTokenCount, 1, 24);
        Assert.Equal(first.Usage.InputTokenCount + first.Usage.OutputTokenCount, first.Usage.TotalTokenCount);
        Assert.NotEmpty(first.ContentTokenLogProbabilities);
        Assert.All(first.ContentTokenLogProbabilities, t => Assert.True(t.LogProbability <= 0));

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        int chunks = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options, _ct))
        {
            chunks++;
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            finish ??= update.FinishReason;
        }
        Assert.Equal(first.Content[0].Text, streamed.ToString());
        Assert.Equal(first.FinishReason, finish);
        Assert.True(chunks >= 2);

        ChatCompletion other = await chat.CompleteChatAsync(messages, new ChatCompletionOptions { Seed = 8, Temperature = 1.0f, MaxOutputTokenCount = 24 }, _ct);
        Assert.NotEqual(first.Content[0].Text, other.Content[0].Text);
    }

    [Fact]
    public async Task Raw_stream_is_OpenAI_SSE_ending_with_DONE_and_n_gives_several_choices()
    {
        using var client = _server.Client(_key);
        using var response = await client.PostJson("v1/chat/completions",
            """{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"n":2,"seed":3,"max_tokens":8,"stop":["\n"]}""");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync(_ct)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        using var usage = System.Text.Json.JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.True(usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        var finished = events[..^2].Select(e => System.Text.Json.JsonDocument.Parse(e["data: ".Length..]).RootElement)
            .Where(c => c.GetProperty("object").GetString() == "chat.completion.chunk")
            .SelectMany(c => c.GetProperty("choices").EnumerateArray())
            .Where(c => c.GetProperty("finish_reason").ValueKind == System.Text.Json.JsonValueKind.String)
            .Select(c => c.GetProperty("index").GetInt32()).Order().ToList();
        Assert.Equal([0, 1], finished);

        var plain = await ApiAssert.OkAsync(await client.PostJson("v1/chat/completions",
            """{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"n":3,"seed":3,"max_completion_tokens":8}"""));
        Assert.Equal("chat.completion", plain.GetProperty("object").GetString());
        Assert.Equal(3, plain.GetProperty("choices").GetArrayLength());
    }

    [Fact]
    public async Task Models_are_listed_per_project_and_only_fine_tuned_ones_can_be_deleted()
    {
        var models = new OpenAIModelClient(new ApiKeyCredential(_key), Options);
        var listed = await models.GetModelsAsync(_ct);
        Assert.Equal(["tiny-qwen3"], listed.Value.Select(m => m.Id));
        Assert.Equal("chat", (await models.GetModelAsync("tiny-qwen3", _ct)).Value.OwnedBy);

        var registry = _server.Services.GetRequiredService<ModelRegistry>();
        await registry.RegisterFolderAsync("chat", "ft:tiny-qwen3:genes:ftjob-abc", _folder, _ct);
        ChatCompletion tuned = await Chat("ft:tiny-qwen3:genes:ftjob-abc").CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 4 }, _ct);
        Assert.Equal("ft:tiny-qwen3:genes:ftjob-abc", tuned.Model);

        using var client = _server.Client(_key);
        await ApiAssert.ErrorAsync(await client.Delete("v1/models/tiny-qwen3"), 403, "model");
        var deleted = await models.DeleteModelAsync("ft:tiny-qwen3:genes:ftjob-abc", _ct);
        Assert.True(deleted.Value.Deleted);
        await ApiAssert.ErrorAsync(await client.Get("v1/models/ft:tiny-qwen3:genes:ftjob-abc"), 404);
        await ApiAssert.ErrorAsync(await client.PostJson("v1/chat/completions", """{"model":"ft:tiny-qwen3:genes:ftjob-abc","messages":[{"role":"user","content":"hi"}]}"""), 404, "model");

        // Another project sees none of it.
        using var stranger = _server.Client(await _server.CreateKeyAsync("other"));
        Assert.Empty((await ApiAssert.OkAsync(await stranger.Get("v1/models"))).GetProperty("data").EnumerateArray());
        await ApiAssert.ErrorAsync(await stranger.Get("v1/models/tiny-qwen3"), 404);
        await ApiAssert.ErrorAsync(await stranger.Delete("v1/models/tiny-qwen3"), 404);
        await ApiAssert.ErrorAsync(await stranger.PostJson("v1/chat/completions", """{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}]}"""), 404, "model");
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}]}""", "model")]
    [InlineData("""{"model":"tiny-qwen3"}""", "messages")]
    [InlineData("""{"model":"tiny-qwen3","messages":[]}""", "messages")]
    [InlineData("""{"model":"tiny-qwen3","messages":"hi"}""", "messages")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"wizard","content":"hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":5}]}""", "messages[0].content")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":[{"type":"image_url"}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"temperature":5}""", "temperature")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"top_p":0}""", "top_p")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":1.5}""", "max_completion_tokens")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"n":0}""", "n")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"seed":"x"}""", "seed")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}""", "stop")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"stop":""}""", "stop")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "stream")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}""", "stream_options")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"logprobs":1}""", "logprobs")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"top_logprobs":3}""", "top_logprobs")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}}""", "response_format.type")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema"}}""", "response_format.json_schema")]
    [InlineData("""{"model":"tiny-qwen3","messages":[{"role":"user","content":"hi"}],"max_tokens":5000}""", "messages")]
    public async Task Bad_chat_requests_get_400_naming_the_parameter(string body, string param)
    {
        using var client = _server.Client(_key);
        var error = await ApiAssert.ErrorAsync(await client.PostJson("v1/chat/completions", body.Replace("\"max_tokens\":5000", "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 1100) + "\"}]", StringComparison.Ordinal)), 400, param);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        await ApiAssert.OkAsync(await client.Get("v1/models"));
    }

    [Fact]
    public async Task Unknown_models_are_404_and_malformed_bodies_400_or_415()
    {
        using var client = _server.Client(_key);
        var missing = await ApiAssert.ErrorAsync(await client.PostJson("v1/chat/completions", """{"model":"nope","messages":[{"role":"user","content":"hi"}]}"""), 404, "model");
        Assert.Equal("model_not_found", missing.GetProperty("code").GetString());
        await ApiAssert.ErrorAsync(await client.PostJson("v1/chat/completions", "{\"model\":"), 400);
        await ApiAssert.ErrorAsync(await client.PostJson("v1/chat/completions", "\"text\""), 400);
        await ApiAssert.ErrorAsync(await client.Post("v1/chat/completions", new StringContent("model=x")), 415);
        await ApiAssert.ErrorAsync(await client.PostJson("v1/models", """{"id":"x"}"""), 400, "path");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/models", """{"id":"bad id!","path":"/tmp"}"""), 400, "id");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/models", """{"id":"ft:x","path":"/tmp"}"""), 400, "id");
        await ApiAssert.ErrorAsync(await client.PostJson("v1/models", """{"id":"empty","path":"/nonexistent-folder"}"""), 400, "path");
        var duplicate = System.Text.Json.JsonSerializer.Serialize(new { id = "tiny-qwen3", path = _folder });
        await ApiAssert.ErrorAsync(await client.PostJson("v1/models", duplicate), 409, "id");
    }
}
