using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// Hostile input against the real <c>rft</c> host process: a formula nested 100,000 deep, JSON nested past the
/// parser's limit, lone UTF-16 surrogates in every kind of string field, absurd trainer settings, a huge declared
/// upload, an over-long purpose, an unknown events cursor and unknown chat parameters each get a 4xx in OpenAI's
/// envelope naming the field, and the host keeps answering afterwards.
/// </summary>
public sealed class LimitsAndBadInputTests(StorageFixture storage)
{
    private const string Key = "sk-limits-bad-input";
    private const string Surrogate = "\\ud800"; // as JSON text: the escape, which parses to a lone surrogate
    private const string Grader = """{"type":"string_check","name":"g","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static string Nested(int depth) => new string('(', depth) + "a" + new string(')', depth);

    private static string MultiGrader(string formula) =>
        """{"type":"multi","name":"m","graders":{"a":{"type":"string_check","name":"a","input":"{{ sample.output_text }}","reference":"x","operation":"eq"}},"calculate_output":" """.TrimEnd()
        + formula + "\"}";

    private static string DeepJson(int depth) => new string('[', depth) + new string(']', depth);

    [Fact]
    public async Task Hostile_input_gets_400s_naming_the_field_and_the_host_stays_up()
    {
        var prefix = storage.UniqueName("l").Replace("-", "", StringComparison.Ordinal);
        await using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storage.ConnectionString,
            ["Rft__StoragePrefix"] = prefix,
            // The tiny model is registered by its path under the temp directory.
            ["Rft__ModelImportRoot"] = Path.GetTempPath(),
            ["Rft__DevelopmentApiKey"] = Key,
            ["Rft__Roles"] = "api",
            ["Rft__MaxUploadBytes"] = "65536",
            ["Rft__ModelCacheDirectory"] = Path.Combine(Path.GetTempPath(), "rft-limits-cache", prefix),
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = prefix + "hub",
        });
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using (var ready = await host.WaitForAsync(http, "/v1/models", TimeSpan.FromSeconds(120), _ct))
            await ApiAssert.OkAsync(ready);
        await JobFixtures.RegisterTinyAsync(http, "tiny");
        var training = await JobFixtures.UploadAsync(http, JobFixtures.Dataset(4));
        var validation = await JobFixtures.UploadAsync(http, JobFixtures.Dataset(2, offset: 10), "valid.jsonl");
        string Job(string grader = JobFixtures.Grader, string hyperparameters = "{}", string trainer = "{}", string model = "\"tiny\"", string suffix = "\"ok\"") =>
            "{\"model\":" + model + ",\"training_file\":\"" + training + "\",\"validation_file\":\"" + validation + "\",\"suffix\":" + suffix
            + ",\"method\":{\"type\":\"reinforcement\",\"reinforcement\":{\"grader\":" + grader
            + ",\"hyperparameters\":" + hyperparameters + ",\"trainer\":" + trainer + "}}}";
        const string validate = "v1/fine_tuning/alpha/graders/validate", run = "v1/fine_tuning/alpha/graders/run", jobs = "v1/fine_tuning/jobs", chat = "v1/chat/completions";
        string Chat(string fields) => "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_completion_tokens\":2" + fields + "}";

        var cases = new List<(string Name, string Path, string Body, int Status, string? Param)>
        {
            // A formula nested 100,000 deep (finding 6: it overflowed the stack and ended the process).
            ("deep formula validate", validate, "{\"grader\":" + MultiGrader(Nested(100_000)) + "}", 400, "grader.calculate_output"),
            ("deep formula run", run, "{\"grader\":" + MultiGrader(Nested(100_000)) + ",\"model_sample\":\"x\"}", 400, "grader.calculate_output"),
            ("deep formula job", jobs, Job(grader: MultiGrader(Nested(100_000))), 400, "method.reinforcement.grader.calculate_output"),
            ("long formula validate", validate, "{\"grader\":" + MultiGrader(string.Join("+", Enumerable.Repeat("a", 5000))) + "}", 400, "grader.calculate_output"),
            // JSON nested past the body parser's 64 levels.
            ("deep json validate", validate, "{\"grader\":" + DeepJson(10_000) + "}", 400, null),
            ("deep json chat", chat, Chat(",\"metadata\":" + DeepJson(200)), 400, null),
            ("deep json job", jobs, Job(trainer: DeepJson(200)), 400, null),
            // A lone surrogate in each kind of string field (finding 9).
            ("surrogate chat content", chat, "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"a" + Surrogate + "\"}]}", 400, "messages[0].content"),
            ("surrogate chat model", chat, "{\"model\":\"" + Surrogate + "\",\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}", 400, "model"),
            ("surrogate grader name", validate, "{\"grader\":" + Grader.Replace("\"name\":\"g\"", "\"name\":\"" + Surrogate + "\"", StringComparison.Ordinal) + "}", 400, "grader.name"),
            ("surrogate model_sample", run, "{\"grader\":" + Grader + ",\"model_sample\":\"" + Surrogate + "\"}", 400, "model_sample"),
            ("surrogate job suffix", jobs, Job(suffix: "\"" + Surrogate + "\""), 400, "suffix"),
            ("surrogate job model", jobs, Job(model: "\"" + Surrogate + "\""), 400, "model"),
            ("surrogate model id", "v1/models", "{\"id\":\"" + Surrogate + "\",\"path\":\"/tmp\"}", 400, "id"),
            // Absurd trainer settings (finding 7), each refused naming the field.
            ("samples_per_prompt 100000", jobs, Job(trainer: "{\"samples_per_prompt\":100000}"), 400, "method.reinforcement.trainer.samples_per_prompt"),
            ("prompts_per_step 1e9", jobs, Job(trainer: "{\"prompts_per_step\":1000000000}"), 400, "method.reinforcement.trainer.prompts_per_step"),
            ("max_completion_tokens 1e9", jobs, Job(trainer: "{\"max_completion_tokens\":1000000000}"), 400, "method.reinforcement.trainer.max_completion_tokens"),
            ("lora_rank 1e6", jobs, Job(trainer: "{\"lora_rank\":1000000}"), 400, "method.reinforcement.trainer.lora_rank"),
            ("epochs 1e6", jobs, Job(trainer: "{\"epochs\":1000000}"), 400, "method.reinforcement.trainer.epochs"),
            ("gradient_accumulation_steps 1e9", jobs, Job(trainer: "{\"gradient_accumulation_steps\":1000000000}"), 400, "method.reinforcement.trainer.gradient_accumulation_steps"),
            ("iterations_per_batch 1e6", jobs, Job(trainer: "{\"iterations_per_batch\":1000000}"), 400, "method.reinforcement.trainer.iterations_per_batch"),
            ("learning_rate 1e308", jobs, Job(trainer: "{\"learning_rate\":1e308}"), 400, "method.reinforcement.trainer.learning_rate"),
            ("learning_rate_multiplier 1e308", jobs, Job(hyperparameters: "{\"learning_rate_multiplier\":1e308}"), 400, "method.reinforcement.hyperparameters.learning_rate_multiplier"),
            ("n_epochs 1e6", jobs, Job(hyperparameters: "{\"n_epochs\":1000000}"), 400, "method.reinforcement.hyperparameters.n_epochs"),
            ("eval_samples 1e6", jobs, Job(hyperparameters: "{\"eval_samples\":1000000}"), 400, "method.reinforcement.hyperparameters.eval_samples"),
            ("eval_interval 1e9", jobs, Job(hyperparameters: "{\"eval_interval\":1000000000}"), 400, "method.reinforcement.hyperparameters.eval_interval"),
            // Each within its bound, together over the per-step cost ceiling (256 x 64 x 4096 tokens).
            ("cost per step", jobs, Job(trainer: "{\"prompts_per_step\":256,\"samples_per_prompt\":64,\"max_completion_tokens\":4096}"), 400, "method.reinforcement.trainer.samples_per_prompt"),
            ("cost per step from hyperparameters", jobs, Job(hyperparameters: "{\"batch_size\":256,\"compute_multiplier\":10,\"reasoning_effort\":\"high\"}"), 400, "method.reinforcement.hyperparameters.compute_multiplier"),
            // Chat refuses what OpenAI's API does not define, and accepts what the SDKs send.
            ("chat unknown parameter", chat, Chat(",\"temprature\":0.5"), 400, "temprature"),
        };
        var failures = new List<string>();
        foreach (var (name, path, body, status, param) in cases)
        {
            using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), _ct);
            var problem = await ProblemAsync(response, status, param);
            if (problem is not null) failures.Add($"{name}: {problem}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // Nothing was created, and the host still answers every kind of request.
        Assert.Equal(0, (await ApiAssert.OkAsync(await http.Get(jobs))).GetProperty("data").GetArrayLength());
        var valid = await ApiAssert.OkAsync(await http.PostJson(validate, "{\"grader\":" + MultiGrader(Nested(10)) + "}"));
        Assert.Equal(JsonValueKind.Object, valid.GetProperty("grader").ValueKind);
        var answer = await ApiAssert.OkAsync(await http.PostJson(chat, Chat(",\"frequency_penalty\":0,\"presence_penalty\":0,\"user\":\"u\",\"store\":false,\"metadata\":{\"a\":\"b\"},\"logit_bias\":{}")));
        Assert.Equal("chat.completion", answer.GetProperty("object").GetString());

        // A JSONL line with a lone surrogate is an invalid file naming the line's field, not a 500.
        var broken = await ApiAssert.OkAsync(await http.Post("v1/files", ApiAssert.Upload("{\"messages\":[{\"role\":\"user\",\"content\":\"" + Surrogate + "\"}]}\n")));
        Assert.Equal("error", broken.GetProperty("status").GetString());
        Assert.Contains("messages[0].content", broken.GetProperty("status_details").GetString(), StringComparison.Ordinal);

        // An over-long purpose blames purpose.
        using (var form = new MultipartFormDataContent { { new StringContent(new string('p', 1000)), "purpose" } })
        {
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(JobFixtures.Dataset(1))), "file", "t.jsonl");
            await ApiAssert.ErrorAsync(await http.Post("v1/files", form), 400, "purpose");
        }

        // An unknown events cursor is a 400, as in every other list.
        var job = await ApiAssert.OkAsync(await http.PostJson(jobs, JobFixtures.CreateBody("tiny", training, validation)));
        var jobId = job.GetProperty("id").GetString()!;
        await ApiAssert.OkAsync(await http.Get($"{jobs}/{jobId}/events"));
        await ApiAssert.ErrorAsync(await http.Get($"{jobs}/{jobId}/events?after=ftevent-0000000000000000001"), 400, "after");

        // An upload declaring far more than the limit is refused from its headers: only a few bytes are ever sent.
        var refusal = await SendDeclaredUploadAsync(host.BaseAddress, declaredBytes: 10L << 30);
        Assert.StartsWith("HTTP/1.1 413", refusal, StringComparison.Ordinal);
        Assert.Contains("\"param\":\"file\"", refusal, StringComparison.Ordinal);

        using var health = await http.Get("/healthz");
        Assert.True(health.IsSuccessStatusCode, host.Output);
    }

    /// <summary>Writes the headers of a multipart upload declaring <paramref name="declaredBytes"/> and 100 bytes of
    /// body, then reads the answer without sending more.</summary>
    private async Task<string> SendDeclaredUploadAsync(Uri baseAddress, long declaredBytes)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port, _ct);
        var stream = client.GetStream();
        var head = $"POST /v1/files HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nAuthorization: Bearer {Key}\r\n"
                   + $"Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {declaredBytes}\r\n\r\n"
                   + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n" + new string('x', 16);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var buffer = new byte[16384];
        var received = new StringBuilder();
        // Read until the JSON body of the refusal has arrived (the server answers without waiting for the body).
        while (!received.ToString().Contains("}}", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) break;
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return received.ToString();
    }

    /// <summary>Null when the answer has the status and OpenAI's envelope naming <paramref name="param"/>.</summary>
    private async Task<string?> ProblemAsync(HttpResponseMessage response, int status, string? param)
    {
        var body = await response.Content.ReadAsStringAsync(_ct);
        var shown = body.Length > 400 ? body[..400] + "..." : body;
        if ((int)response.StatusCode != status) return $"expected {status}, got {(int)response.StatusCode}: {shown}";
        try
        {
            using var document = JsonDocument.Parse(body);
            var error = document.RootElement.GetProperty("error");
            if (error.GetProperty("message").GetString() is not { Length: > 0 }) return $"empty message: {shown}";
            var actual = error.GetProperty("param").ValueKind == JsonValueKind.String ? error.GetProperty("param").GetString() : null;
            return param is null || actual == param ? null : $"param '{actual}', expected '{param}': {shown}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"not OpenAI's error envelope ({e.Message}): {shown}";
        }
    }
}
