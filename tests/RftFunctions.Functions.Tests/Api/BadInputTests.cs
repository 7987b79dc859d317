using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RftFunctions.Functions.Api;
using RftFunctions.Functions.Api.Models;
using RftFunctions.Model;
using RftFunctions.Testing;
using Xunit;

namespace RftFunctions.Functions.Tests.Api;

/// <summary>
/// Malformed requests against every endpoint of the real host: each gets its exact status and OpenAI's error envelope
/// (never a 500); afterwards the host is healthy and not one blob or table row of the API changed.
/// </summary>
public sealed class BadInputTests(StorageFixture storage)
{
    private const string Key = "sk-dev-bad-input";
    private const int MaxUploadBytes = 4096;
    private const string Grader = """{"type":"string_check","name":"g","input":"{{ sample.output_text }}","reference":"{{ item.answer }}","operation":"eq"}""";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    /// <summary>One malformed request: what is sent and the status and <c>param</c> expected (<c>*</c> ends a prefix).</summary>
    private sealed record Case(string Name, HttpMethod Method, string Path, Func<HttpContent?> Body, int Status, string? Param = null, string? Authorization = "Bearer " + Key);

    private static Func<HttpContent?> Json(string json) => () => new StringContent(json, Encoding.UTF8, "application/json");

    private static Func<HttpContent?> Raw(string body, string? contentType) => () =>
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null) content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    };

    private static readonly Func<HttpContent?> None = () => null;

    /// <summary>A hand-written multipart body (so it can be wrong in ways HttpClient would not write).</summary>
    private static Func<HttpContent?> Multipart(string parts, string boundary = "XyZ") => Raw(parts.ReplaceLineEndings("\r\n"), $"multipart/form-data; boundary={boundary}");

    private static IEnumerable<Case> Cases(string fileId, string modelFolder)
    {
        // Authentication (on several endpoints).
        yield return new("no key", HttpMethod.Get, "v1/files", None, 401, Authorization: null);
        yield return new("basic auth", HttpMethod.Get, "v1/models", None, 401, Authorization: "Basic dTpw");
        yield return new("empty bearer", HttpMethod.Get, "v1/files", None, 401, Authorization: "Bearer ");
        yield return new("wrong key", HttpMethod.Post, "v1/chat/completions", Json("{}"), 401, Authorization: "Bearer sk-wrong");
        yield return new("wrong key on graders", HttpMethod.Post, "v1/fine_tuning/alpha/graders/validate", Json("{}"), 401, Authorization: "Bearer sk-wrong");
        // Unknown URLs.
        yield return new("unknown path", HttpMethod.Get, "v1/nope", None, 404);
        yield return new("unknown nested path", HttpMethod.Post, "v1/files/x/y/z", Json("{}"), 404);

        // Files: upload.
        yield return new("upload as JSON", HttpMethod.Post, "v1/files", Json("""{"purpose":"fine-tune"}"""), 415);
        yield return new("upload without content type", HttpMethod.Post, "v1/files", Raw("purpose=fine-tune", null), 415);
        yield return new("upload form-urlencoded", HttpMethod.Post, "v1/files", Raw("purpose=fine-tune", "application/x-www-form-urlencoded"), 415);
        yield return new("multipart without boundary", HttpMethod.Post, "v1/files", Raw("x", "multipart/form-data"), 400);
        yield return new("multipart missing file", HttpMethod.Post, "v1/files", Multipart("""
            --XyZ
            Content-Disposition: form-data; name="purpose"

            fine-tune
            --XyZ--

            """), 400, "file");
        yield return new("multipart missing purpose", HttpMethod.Post, "v1/files", Multipart("""
            --XyZ
            Content-Disposition: form-data; name="file"; filename="t.jsonl"

            {"messages":[{"role":"user","content":"x"}]}
            --XyZ--

            """), 400, "purpose");
        yield return new("wrong purpose", HttpMethod.Post, "v1/files", Multipart("""
            --XyZ
            Content-Disposition: form-data; name="purpose"

            assistants
            --XyZ
            Content-Disposition: form-data; name="file"; filename="t.jsonl"

            {"messages":[{"role":"user","content":"x"}]}
            --XyZ--

            """), 400, "purpose");
        yield return new("file part without filename", HttpMethod.Post, "v1/files", Multipart("""
            --XyZ
            Content-Disposition: form-data; name="purpose"

            fine-tune
            --XyZ
            Content-Disposition: form-data; name="file"

            {"messages":[{"role":"user","content":"x"}]}
            --XyZ--

            """), 400, "file");
        yield return new("multipart cut off", HttpMethod.Post, "v1/files", Multipart("""
            --XyZ
            Content-Disposition: form-data; name="purpose"

            fine-tune
            --XyZ
            Content-Disposition: form-data; name="file"; filename="t.jsonl"

            {"messages":[{"role":"us
            """), 400);
        yield return new("multipart garbage", HttpMethod.Post, "v1/files", Multipart("this is not multipart at all"), 400);
        yield return new("upload over the size limit", HttpMethod.Post, "v1/files", () =>
        {
            var form = new MultipartFormDataContent { { new StringContent("fine-tune"), "purpose" } };
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("""{"messages":[{"role":"user","content":"0123456789"}]}""" + "\n", 200)))), "file", "big.jsonl");
            return form;
        }, 413, "file");
        // Files: list, retrieve, content, delete.
        yield return new("limit 0", HttpMethod.Get, "v1/files?limit=0", None, 400, "limit");
        yield return new("limit negative", HttpMethod.Get, "v1/files?limit=-1", None, 400, "limit");
        yield return new("limit text", HttpMethod.Get, "v1/files?limit=ten", None, 400, "limit");
        yield return new("limit too large", HttpMethod.Get, "v1/files?limit=10001", None, 400, "limit");
        yield return new("bad order", HttpMethod.Get, "v1/files?order=sideways", None, 400, "order");
        yield return new("unknown after", HttpMethod.Get, "v1/files?after=file-nope", None, 400, "after");
        yield return new("unknown file", HttpMethod.Get, "v1/files/file-nope", None, 404, "id");
        yield return new("unknown file content", HttpMethod.Get, "v1/files/file-nope/content", None, 404, "id");
        yield return new("delete unknown file", HttpMethod.Delete, "v1/files/file-nope", None, 404, "id");

        // Graders.
        const string validate = "v1/fine_tuning/alpha/graders/validate", run = "v1/fine_tuning/alpha/graders/run";
        yield return new("validate malformed JSON", HttpMethod.Post, validate, Json("""{"grader": {"""), 400);
        yield return new("validate empty body", HttpMethod.Post, validate, Json(""), 400);
        yield return new("validate array body", HttpMethod.Post, validate, Json("[]"), 400);
        yield return new("validate text/plain", HttpMethod.Post, validate, Raw($$"""{"grader":{{Grader}}}""", "text/plain"), 415);
        yield return new("validate missing grader", HttpMethod.Post, validate, Json("{}"), 400, "grader");
        yield return new("validate grader is a string", HttpMethod.Post, validate, Json("""{"grader":"string_check"}"""), 400, "grader");
        yield return new("validate unknown grader type", HttpMethod.Post, validate, Json("""{"grader":{"type":"magic","name":"m"}}"""), 400, "grader*");
        yield return new("validate bad operation", HttpMethod.Post, validate, Json("""{"grader":{"type":"string_check","name":"g","input":"x","reference":"y","operation":"contains"}}"""), 400, "grader.operation");
        yield return new("validate multi with bad child", HttpMethod.Post, validate, Json("""{"grader":{"type":"multi","name":"m","graders":{"a":{"type":"string_check","name":"a","input":"x","reference":"y","operation":"??"}},"calculate_output":"a"}}"""), 400, "grader*");
        yield return new("run missing model_sample", HttpMethod.Post, run, Json($$"""{"grader":{{Grader}}}"""), 400, "model_sample");
        yield return new("run model_sample number", HttpMethod.Post, run, Json($$"""{"grader":{{Grader}},"model_sample":3}"""), 400, "model_sample");
        yield return new("run item array", HttpMethod.Post, run, Json($$"""{"grader":{{Grader}},"model_sample":"x","item":[1]}"""), 400, "item");
        yield return new("run output_tools object", HttpMethod.Post, run, Json($$$"""{"grader":{{{Grader}}},"model_sample":"x","output_tools":{}}"""), 400, "output_tools");
        yield return new("run invalid grader", HttpMethod.Post, run, Json("""{"grader":{"type":"string_check"},"model_sample":"x"}"""), 400, "grader*");

        // Models.
        yield return new("unknown model", HttpMethod.Get, "v1/models/nope", None, 404, "model");
        yield return new("delete unknown model", HttpMethod.Delete, "v1/models/nope", None, 404, "model");
        yield return new("delete a base model", HttpMethod.Delete, "v1/models/tiny", None, 403, "model");
        yield return new("register without id", HttpMethod.Post, "v1/models", Json("""{"path":"/tmp"}"""), 400, "id");
        yield return new("register id number", HttpMethod.Post, "v1/models", Json("""{"id":5,"path":"/tmp"}"""), 400, "id");
        yield return new("register without path", HttpMethod.Post, "v1/models", Json("""{"id":"x"}"""), 400, "path");
        yield return new("register ft: id", HttpMethod.Post, "v1/models", Json("""{"id":"ft:x","path":"/tmp"}"""), 400, "id");
        yield return new("register bad id", HttpMethod.Post, "v1/models", Json("""{"id":"a b?","path":"/tmp"}"""), 400, "id");
        yield return new("register a missing folder", HttpMethod.Post, "v1/models", Json("""{"id":"ghost","path":"/nonexistent/folder"}"""), 400, "path");
        yield return new("register a taken id", HttpMethod.Post, "v1/models", Json(JsonSerializer.Serialize(new { id = "tiny", path = modelFolder })), 409, "id");
        yield return new("register text/plain", HttpMethod.Post, "v1/models", Raw("""{"id":"x","path":"/tmp"}""", "text/plain"), 415);

        // Chat completions.
        const string chat = "v1/chat/completions";
        yield return new("chat malformed JSON", HttpMethod.Post, chat, Json("""{"model":"tiny","""), 400);
        yield return new("chat text/plain", HttpMethod.Post, chat, Raw("""{"model":"tiny","messages":[{"role":"user","content":"hi"}]}""", "text/plain"), 415);
        yield return new("chat unknown model", HttpMethod.Post, chat, Json("""{"model":"nope","messages":[{"role":"user","content":"hi"}]}"""), 404, "model");
        yield return new("chat model number", HttpMethod.Post, chat, Json("""{"model":7,"messages":[{"role":"user","content":"hi"}]}"""), 400, "model");
        yield return new("chat missing messages", HttpMethod.Post, chat, Json("""{"model":"tiny"}"""), 400, "messages");
        yield return new("chat unknown role", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"wizard","content":"hi"}]}"""), 400, "messages[0].role");
        yield return new("chat message not an object", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":["hi"]}"""), 400, "messages[0]");
        yield return new("chat temperature text", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}"""), 400, "temperature");
        yield return new("chat n zero", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"n":0}"""), 400, "n");
        yield return new("chat stream text", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"stream":"yes"}"""), 400, "stream");
        yield return new("chat seed huge", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"seed":1e400}"""), 400);
        yield return new("chat bad response_format", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}}"""), 400, "response_format.type");
        yield return new("chat prompt over the context", HttpMethod.Post, chat, Json("""{"model":"tiny","messages":[{"role":"user","content":" """ + string.Concat(Enumerable.Repeat("gene ", 20_000)) + "\"}]}"), 400, "messages");
        yield return new("chat oversized body", HttpMethod.Post, chat, () => new StringContent(
            "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 31 << 20) + "\"}]}", Encoding.UTF8, "application/json"), 413);

        // Fine-tuning jobs: create (each body is valid but for the one field named; none may start a job).
        const string jobs = "v1/fine_tuning/jobs";
        const string method = "{\"type\":\"reinforcement\",\"reinforcement\":{\"grader\":" + Grader + "}}";
        string Job(string fields) => "{\"model\":\"tiny\",\"training_file\":\"" + fileId + "\",\"validation_file\":\"" + fileId + "\",\"method\":" + method + fields + "}";
        string JobWithout(string field) => Job("").Replace(field switch
        {
            "model" => "\"model\":\"tiny\",",
            "training_file" => $"\"training_file\":\"{fileId}\",",
            "validation_file" => $"\"validation_file\":\"{fileId}\",",
            _ => ",\"method\":" + method,
        }, "", StringComparison.Ordinal);
        yield return new("job malformed JSON", HttpMethod.Post, jobs, Json("""{"model":"tiny","""), 400);
        yield return new("job array body", HttpMethod.Post, jobs, Json("[]"), 400);
        yield return new("job text/plain", HttpMethod.Post, jobs, Raw(Job(""), "text/plain"), 415);
        yield return new("job unknown field", HttpMethod.Post, jobs, Json(Job(",\"color\":\"red\"")), 400, "color");
        yield return new("job missing model", HttpMethod.Post, jobs, Json(JobWithout("model")), 400, "model");
        yield return new("job model number", HttpMethod.Post, jobs, Json(Job("").Replace("\"tiny\"", "7", StringComparison.Ordinal)), 400, "model");
        yield return new("job missing training_file", HttpMethod.Post, jobs, Json(JobWithout("training_file")), 400, "training_file");
        yield return new("job missing validation_file", HttpMethod.Post, jobs, Json(JobWithout("validation_file")), 400, "validation_file");
        yield return new("job unknown model", HttpMethod.Post, jobs, Json(Job("").Replace("\"tiny\"", "\"nope\"", StringComparison.Ordinal)), 400, "model");
        yield return new("job unknown training_file", HttpMethod.Post, jobs, Json(Job("").Replace($"\"training_file\":\"{fileId}\"", "\"training_file\":\"file-nope\"", StringComparison.Ordinal)), 400, "training_file");
        yield return new("job unknown validation_file", HttpMethod.Post, jobs, Json(Job("").Replace($"\"validation_file\":\"{fileId}\"", "\"validation_file\":\"file-nope\"", StringComparison.Ordinal)), 400, "validation_file");
        yield return new("job missing method", HttpMethod.Post, jobs, Json(JobWithout("method")), 400, "method");
        yield return new("job supervised method", HttpMethod.Post, jobs, Json(Job("").Replace(method, """{"type":"supervised","supervised":{}}""", StringComparison.Ordinal)), 400, "method.type");
        yield return new("job dpo method", HttpMethod.Post, jobs, Json(Job("").Replace(method, """{"type":"dpo","dpo":{}}""", StringComparison.Ordinal)), 400, "method.type");
        yield return new("job top-level hyperparameters", HttpMethod.Post, jobs, Json(Job(",\"hyperparameters\":{\"n_epochs\":2}")), 400, "hyperparameters");
        yield return new("job missing grader", HttpMethod.Post, jobs, Json(Job("").Replace(method, """{"type":"reinforcement","reinforcement":{}}""", StringComparison.Ordinal)), 400, "method.reinforcement.grader");
        yield return new("job bad grader", HttpMethod.Post, jobs, Json(Job("").Replace("\"eq\"", "\"contains\"", StringComparison.Ordinal)), 400, "method.reinforcement.grader*");
        yield return new("job hyperparameters array", HttpMethod.Post, jobs, Json(Job("").Replace("}}}", "},\"hyperparameters\":[]}}", StringComparison.Ordinal)), 400, "method.reinforcement.hyperparameters");
        yield return new("job n_epochs text", HttpMethod.Post, jobs, Json(Job("").Replace("}}}", "},\"hyperparameters\":{\"n_epochs\":\"many\"}}}", StringComparison.Ordinal)), 400, "method.reinforcement.hyperparameters.n_epochs");
        yield return new("job unknown hyperparameter", HttpMethod.Post, jobs, Json(Job("").Replace("}}}", "},\"hyperparameters\":{\"warp\":9}}}", StringComparison.Ordinal)), 400, "method.reinforcement.hyperparameters.warp");
        yield return new("job bad suffix", HttpMethod.Post, jobs, Json(Job(",\"suffix\":\"a b?\"")), 400, "suffix");
        yield return new("job negative seed", HttpMethod.Post, jobs, Json(Job(",\"seed\":-1")), 400, "seed");
        // Jobs: unknown ids (404 naming the id, as for another project's job) and paging.
        foreach (var (verb, path) in new[] { (HttpMethod.Get, ""), (HttpMethod.Post, "/cancel"), (HttpMethod.Post, "/pause"), (HttpMethod.Post, "/resume"), (HttpMethod.Get, "/events"), (HttpMethod.Get, "/checkpoints") })
            yield return new($"unknown job{path}", verb, $"{jobs}/ftjob-nope{path}", None, 404, "fine_tuning_job_id");
        // Resume bodies are checked before the job is looked up, so an unknown job still gets the body's 400.
        var resume = $"{jobs}/ftjob-nope/resume";
        yield return new("resume body not json", HttpMethod.Post, resume, Raw("{budget", "application/json"), 400);
        yield return new("resume body wrong content type", HttpMethod.Post, resume, Raw("{}", "text/plain"), 415);
        yield return new("resume unknown field", HttpMethod.Post, resume, Json("""{"budget":{"max_tokens":5}}"""), 400, "budget");
        yield return new("resume budget not object", HttpMethod.Post, resume, Json("""{"compute_budget":5}"""), 400, "compute_budget");
        yield return new("resume budget empty", HttpMethod.Post, resume, Json("""{"compute_budget":{}}"""), 400, "compute_budget");
        yield return new("resume budget tokens zero", HttpMethod.Post, resume, Json("""{"compute_budget":{"max_tokens":0}}"""), 400, "compute_budget.max_tokens");
        yield return new("resume budget tokens fraction", HttpMethod.Post, resume, Json("""{"compute_budget":{"max_tokens":1.5}}"""), 400, "compute_budget.max_tokens");
        yield return new("resume budget seconds text", HttpMethod.Post, resume, Json("""{"compute_budget":{"max_wall_seconds":"10"}}"""), 400, "compute_budget.max_wall_seconds");
        yield return new("resume budget unknown limit", HttpMethod.Post, resume, Json("""{"compute_budget":{"max_gpus":1}}"""), 400, "compute_budget.max_gpus");
        yield return new("resume good body unknown job", HttpMethod.Post, resume, Json("""{"compute_budget":{"max_tokens":5}}"""), 404, "fine_tuning_job_id");
        yield return new("jobs limit 0", HttpMethod.Get, jobs + "?limit=0", None, 400, "limit");
        yield return new("jobs limit too large", HttpMethod.Get, jobs + "?limit=101", None, 400, "limit");
        yield return new("jobs limit text", HttpMethod.Get, jobs + "?limit=ten", None, 400, "limit");
        yield return new("jobs unknown after", HttpMethod.Get, jobs + "?after=ftjob-nope", None, 400, "after");
        yield return new("jobs unknown query parameter", HttpMethod.Get, jobs + "?colour=red", None, 400, "colour");
    }

    [Fact]
    public async Task Malformed_requests_get_exact_errors_and_leave_the_service_healthy_and_the_data_unchanged()
    {
        var prefix = storage.UniqueName("b");
        var folder = Directory.CreateTempSubdirectory("rft-bad-model-").FullName;
        try
        {
            TinyModelFactory.CreateFolder(folder, ModelArchitecture.Qwen3, seed: 2);
            await new ModelRegistry(storage.Account, new ApiOptions { StoragePrefix = prefix }).RegisterFolderAsync("bad", "tiny", folder, _ct);
            await using var host = HostProcess.Start(new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = storage.ConnectionString,
                ["Rft__StoragePrefix"] = prefix,
                ["Rft__DevelopmentApiKey"] = Key,
                ["Rft__DevelopmentProject"] = "bad",
                ["Rft__Roles"] = "api",
                // The cases register models by path under the temp directory.
                ["Rft__ModelImportRoot"] = Path.GetTempPath(),
                ["Rft__MaxUploadBytes"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                // Under the prefix, so the snapshot covers the task hub too and no refused job can start an orchestration unseen.
                ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = prefix + "hub",
            });
            // Each case sets its own Authorization header; the client used for setup and snapshots has the key.
            using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
            (await host.WaitForAsync(client, "/healthz", TimeSpan.FromSeconds(90), _ct)).Dispose();
            using var authorized = new HttpClient { BaseAddress = host.BaseAddress };
            authorized.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            var file = await ApiAssert.OkAsync(await authorized.Post("v1/files", ApiAssert.Upload(ApiAssert.ValidDataset)));
            var fileId = file.GetProperty("id").GetString()!;

            var before = await StateAsync(authorized, prefix);
            var cases = Cases(fileId, folder).ToList();
            Assert.True(cases.Count >= 90, $"only {cases.Count} cases");
            var failures = new List<string>();
            foreach (var c in cases)
            {
                var problem = await CheckAsync(client, c);
                if (problem is not null) failures.Add($"{c.Name} ({c.Method} /{c.Path}): {problem}");
            }
            Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join('\n', failures));

            using var health = await client.Get("/healthz");
            var report = await ApiAssert.OkAsync(health);
            Assert.Equal("healthy", report.GetProperty("status").GetString());
            var after = await StateAsync(authorized, prefix);
            Assert.DoesNotContain(after, x => x.StartsWith($"entity {prefix}hubInstances/", StringComparison.OrdinalIgnoreCase));
            Assert.True(before.SetEquals(after), "stored data changed:\n" + string.Join('\n',
                before.Except(after).Select(x => "- " + x).Concat(after.Except(before).Select(x => "+ " + x))));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The API's lists plus the raw storage, as one comparable set.</summary>
    private async Task<SortedSet<string>> StateAsync(HttpClient client, string prefix)
    {
        var state = await StorageSnapshot.TakeAsync(storage.Account, prefix);
        foreach (var list in new[] { "v1/files", "v1/models", "v1/fine_tuning/jobs" })
            state.Add($"{list} {(await ApiAssert.OkAsync(await client.Get(list))).GetRawText()}");
        return state;
    }

    /// <summary>Null when the answer is the expected status with a well-formed envelope, else what is wrong.</summary>
    private async Task<string?> CheckAsync(HttpClient client, Case c)
    {
        using var request = new HttpRequestMessage(c.Method, c.Path) { Content = c.Body() };
        if (c.Authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", c.Authorization);
        // As curl does for large bodies: the server can refuse before the body is sent, so a refusal is read, not a broken pipe.
        request.Headers.ExpectContinue = true;
        HttpResponseMessage sent;
        try
        {
            sent = await client.SendAsync(request, _ct);
        }
        catch (HttpRequestException e)
        {
            return $"no answer: {e.Message} {e.InnerException?.Message}";
        }
        using var response = sent;
        var body = await response.Content.ReadAsStringAsync(_ct);
        var shown = body.Length > 300 ? body[..300] + "..." : body;
        if ((int)response.StatusCode != c.Status) return $"expected {c.Status}, got {(int)response.StatusCode}: {shown}";
        if (response.Content.Headers.ContentType?.MediaType != "application/json") return $"content type {response.Content.Headers.ContentType}: {shown}";
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object) return $"no error object: {shown}";
            if (error.GetProperty("message").GetString() is not { Length: > 0 }) return $"empty message: {shown}";
            if (error.GetProperty("type").ValueKind != JsonValueKind.String) return $"type is not a string: {shown}";
            if (!error.TryGetProperty("code", out _)) return $"no code: {shown}";
            var param = error.GetProperty("param");
            if (c.Param is not null)
            {
                var actual = param.ValueKind == JsonValueKind.String ? param.GetString()! : "";
                var ok = c.Param.EndsWith('*') ? actual.StartsWith(c.Param[..^1], StringComparison.Ordinal) : actual == c.Param;
                if (!ok) return $"param '{actual}', expected '{c.Param}': {shown}";
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"not OpenAI's error envelope ({e.Message}): {shown}";
        }
    }
}
